// Each format x streamed/not against the simulator: exact text and every usage category.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simulateReply } from '../../src/simulator/reply.ts';
import type { UpstreamApi, UpstreamEvent, UpstreamRequest, Usage } from '../../src/upstream/call-vocabulary.ts';
import { startSimulatorHarness, TEST_ACCOUNT, type SimulatorHarness, upstreamRequest } from '../helpers/simulator.ts';

let h: SimulatorHarness;
beforeAll(async () => {
  h = await startSimulatorHarness();
});
afterAll(() => h.close());

async function collect(req: UpstreamRequest): Promise<{ events: UpstreamEvent[]; meta: { cacheStatus?: string; upstreamLogId?: string; api: UpstreamApi } }> {
  const stream = await h.client.stream(req);
  const events: UpstreamEvent[] = [];
  for await (const e of stream) events.push(e);
  return { events, meta: { api: stream.api, cacheStatus: stream.cacheStatus, upstreamLogId: stream.upstreamLogId } };
}

const CASES: Array<{ api: UpstreamApi; model: string; legacyRun?: boolean; path: string; nonZero: Array<keyof Usage> }> = [
  { api: 'CHAT_COMPLETIONS', model: 'openai/gpt-5.5', path: '/ai/v1/chat/completions', nonZero: ['cachedInputTokens', 'reasoningTokens'] },
  { api: 'RESPONSES', model: 'openai/gpt-5.5', path: '/ai/v1/responses', nonZero: ['cachedInputTokens', 'reasoningTokens'] },
  { api: 'MESSAGES', model: 'anthropic/claude-sonnet-4.5', path: '/ai/v1/messages', nonZero: ['cachedInputTokens', 'cacheWriteTokens'] },
  { api: 'RUN', model: '@cf/meta/llama-3.1-8b-instruct', path: '/ai/run', nonZero: ['inputTokens'] },
  { api: 'RUN', model: '@cf/meta/llama-3.1-8b-instruct', legacyRun: true, path: '/ai/run/@cf/meta/llama-3.1-8b-instruct', nonZero: ['inputTokens'] },
  // A cross-format call still reports every category the wire can carry.
  { api: 'CHAT_COMPLETIONS', model: 'anthropic/claude-sonnet-4.5', path: '/ai/v1/chat/completions', nonZero: ['cachedInputTokens', 'cacheWriteTokens'] },
];

const messages = [
  { role: 'user' as const, content: 'Please repeat these seven words back to me now' },
  { role: 'assistant' as const, content: 'Sure, go ahead.' },
  { role: 'user' as const, content: 'count the tokens of this sentence precisely please' },
];
const system = 'You are a careful assistant who answers briefly.';

describe.each(CASES)('$api $model legacy=$legacyRun', ({ api, model, legacyRun, path, nonZero }) => {
  const expected = simulateReply({ model, messages, system });

  it('complete(): exact text, every usage category, gateway headers', async () => {
    const req = upstreamRequest({ model, api, legacyRun, messages, system, temperature: 0.3 });
    const result = await h.client.complete(req);
    expect(result.text).toBe('Echo: count the tokens of this sentence precisely please');
    expect(result.text).toBe(expected.text);
    expect(result.usage).toEqual(expected.usage);
    for (const key of nonZero) expect(result.usage[key]).toBeGreaterThan(0);
    expect(result.finishReason).toBe('stop');
    expect(result.api).toBe(api);
    expect(result.cacheStatus).toBe('MISS');
    expect(result.upstreamLogId).toMatch(/^[0-9a-f-]{36}$/);
    const recorded = h.sim.requests.at(-1)!;
    expect(recorded.path).toBe(`/client/v4/accounts/${TEST_ACCOUNT}${path}`);
    expect(recorded.headers['cf-aig-event-id']).toBe(req.eventId);
    expect(recorded.headers['cf-aig-gateway-id']).toBe('default');
    expect(recorded.headers.authorization).toBe(`Bearer ${h.config.apiToken}`);
  });

  it('stream(): deltas concatenate to the text; the last usage is exact; one terminal done', async () => {
    const { events, meta } = await collect(upstreamRequest({ model, api, legacyRun, messages, system }));
    const deltas = events.filter((e) => e.type === 'delta').map((e) => (e.type === 'delta' ? e.text : ''));
    // the first chunk goes on alone; chunks that arrived together after it may be one delta
    expect(deltas[0]).toBe(expected.chunks[0]);
    expect(deltas.join('')).toBe(expected.chunks.join(''));
    expect(deltas.length).toBeLessThanOrEqual(expected.chunks.length);
    const usage = events.filter((e) => e.type === 'usage');
    // usage events carry the usage known so far (Anthropic reports input at message_start)
    expect(usage.at(-1)).toEqual({ type: 'usage', usage: expected.usage });
    expect(usage.length).toBeLessThanOrEqual(2);
    expect(events.at(-1)).toMatchObject({ type: 'done', finishReason: 'stop' });
    expect(events.filter((e) => e.type === 'done' || e.type === 'error')).toHaveLength(1);
    expect(meta).toMatchObject({ api, cacheStatus: 'MISS' });
    const body = h.sim.requests.at(-1)!.body as Record<string, unknown>;
    if (api === 'CHAT_COMPLETIONS') expect(body.stream_options).toEqual({ include_usage: true });
  });

  it('maxTokens truncates with finish reason length, streamed and not', async () => {
    const req = upstreamRequest({ model, api, legacyRun, messages, maxTokens: 3 });
    const trunc = simulateReply({ model, messages, maxTokens: 3 });
    const result = await h.client.complete(req);
    expect(result).toMatchObject({ text: 'Echo: count the', finishReason: 'length', usage: trunc.usage });
    const { events } = await collect({ ...req, eventId: 'evt-trunc' });
    expect(events.at(-1)).toMatchObject({ type: 'done', finishReason: 'length' });
    expect(events.filter((e) => e.type === 'usage').at(-1)).toEqual({ type: 'usage', usage: trunc.usage });
  });
});

describe('gateway features', () => {
  it('a repeated cacheable request is a cache HIT with the same result', async () => {
    const req = upstreamRequest({ cache: { ttlSeconds: 120 }, metadata: { team: 'a', n: 1, ok: true } });
    const first = await h.client.complete(req);
    const second = await h.client.complete({ ...req });
    expect(first.cacheStatus).toBe('MISS');
    expect(second.cacheStatus).toBe('HIT');
    expect(second.text).toBe(first.text);
    const headers = h.sim.requests.at(-1)!.headers;
    expect(headers['cf-aig-cache-ttl']).toBe('120');
    expect(JSON.parse(String(headers['cf-aig-metadata']))).toEqual({ team: 'a', n: 1, ok: true });
    const skipped = await h.client.complete({ ...req, cache: { ttlSeconds: 120, skip: true } });
    expect(skipped.cacheStatus).toBe('MISS');
    expect(h.sim.requests.at(-1)!.headers['cf-aig-skip-cache']).toBe('true');
  });

  it('sends cf-aig-request-timeout', async () => {
    await h.client.complete(upstreamRequest({ requestTimeoutMs: 3000 }));
    expect(h.sim.requests.at(-1)!.headers['cf-aig-request-timeout']).toBe('3000');
  });

  it('an unknown gateway gets the gateway error; listGateways reads every page', async () => {
    await expect(h.client.complete(upstreamRequest({ gatewayId: 'nope' }))).rejects.toMatchObject({
      code: 'UPSTREAM_ERROR',
      status: 404,
      upstreamCode: 2001,
    });
    const many = await startSimulatorHarness({ gateways: Array.from({ length: 120 }, (_, i) => `gw-${i}`) });
    try {
      const list = await many.client.listGateways();
      expect(list).toHaveLength(120);
      expect(list[0]).toMatchObject({ id: 'gw-0' });
      expect(list[0]!.createdAt).toBeTypeOf('string');
      await many.client.complete(upstreamRequest({ gatewayId: 'default' }));
      expect((await many.client.listGateways()).map((g) => g.id)).toContain('default');
    } finally {
      await many.close();
    }
  });

  it('routes anthropic/* to Messages and the rest to Chat Completions', () => {
    expect(h.client.routeFor('anthropic/claude-sonnet-4-5')).toBe('MESSAGES');
    expect(h.client.routeFor('openai/gpt-5.5')).toBe('CHAT_COMPLETIONS');
    expect(h.client.routeFor('@cf/moonshotai/kimi-k2.6')).toBe('CHAT_COMPLETIONS');
  });
});
