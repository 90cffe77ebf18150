// Every error shape -> the right code; retries only where allowed; aborts close the socket;
// bad input fails before any request leaves the process.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { AppError } from '../../src/platform/errors.ts';
import type { Fault } from '../../src/simulator/faults.ts';
import { UpstreamError } from '../../src/upstream/errors.ts';
import type { UpstreamApi, UpstreamEvent, UpstreamRequest } from '../../src/upstream/call-vocabulary.ts';
import { startSimulatorHarness, type SimulatorHarness, TEST_ACCOUNT, upstreamRequest } from '../helpers/simulator.ts';

let h: SimulatorHarness;
beforeAll(async () => {
  h = await startSimulatorHarness();
});
afterEach(() => h.sim.reset());
afterAll(() => h.close());

async function collect(req: UpstreamRequest, signal?: AbortSignal): Promise<UpstreamEvent[]> {
  const events: UpstreamEvent[] = [];
  for await (const e of await h.client.stream(req, signal)) events.push(e);
  return events;
}

const terminalError = (events: UpstreamEvent[]): Error => {
  const last = events.at(-1);
  if (last?.type !== 'error') throw new Error(`expected an error event, got ${JSON.stringify(last)}`);
  return last.error;
};

const MODELS: Record<UpstreamApi, string> = {
  CHAT_COMPLETIONS: 'openai/gpt-5.5',
  RESPONSES: 'openai/gpt-5.5',
  MESSAGES: 'anthropic/claude-sonnet-4-5',
  RUN: '@cf/meta/llama-3.1-8b-instruct',
};
const APIS = Object.keys(MODELS) as UpstreamApi[];

describe('HTTP error bodies -> contract codes', () => {
  const cases: Array<{ name: string; fault: Fault; api?: UpstreamApi; code: string; status: number; upstreamCode?: string | number; retried: boolean }> = [
    { name: '429 AiGatewayError 2003', fault: { type: 'rate_limit', retryAfterSeconds: 30 }, code: 'RATE_LIMITED', status: 429, upstreamCode: 2003, retried: false },
    { name: '429 spend limit 2045', fault: { type: 'spend_limit' }, code: 'BUDGET_EXCEEDED', status: 429, upstreamCode: 2045, retried: false },
    { name: '401 provider key 2009', fault: { type: 'provider_key' }, code: 'UPSTREAM_ERROR', status: 401, upstreamCode: 2009, retried: false },
    { name: '400 byok_only', fault: { type: 'byok_only' }, code: 'UPSTREAM_ERROR', status: 400, upstreamCode: 2024, retried: false },
    { name: '424 guardrail prompt 2016', fault: { type: 'guardrail' }, code: 'GUARDRAIL_BLOCKED', status: 424, upstreamCode: 2016, retried: false },
    { name: '424 guardrail response 2017', fault: { type: 'guardrail', stage: 'response' }, code: 'GUARDRAIL_BLOCKED', status: 424, upstreamCode: 2017, retried: false },
    { name: '422 guardrail on /ai/run', fault: { type: 'guardrail' }, api: 'RUN', code: 'GUARDRAIL_BLOCKED', status: 422, upstreamCode: 2017, retried: false },
    { name: '500 v4 envelope', fault: { type: 'server_error', status: 500 }, code: 'UPSTREAM_ERROR', status: 500, upstreamCode: 10001, retried: false },
    { name: '503 v4 envelope', fault: { type: 'server_error', status: 503 }, code: 'UPSTREAM_ERROR', status: 503, retried: true },
    { name: '504', fault: { type: 'server_error', status: 504 }, code: 'UPSTREAM_TIMEOUT', status: 504, retried: true },
    { name: 'OpenAI provider body', fault: { type: 'provider_error', shape: 'openai' }, code: 'UPSTREAM_ERROR', status: 400, upstreamCode: 'invalid_value', retried: false },
    { name: 'Anthropic provider body', fault: { type: 'provider_error', shape: 'anthropic' }, api: 'MESSAGES', code: 'UPSTREAM_ERROR', status: 400, upstreamCode: 'invalid_request_error', retried: false },
    { name: 'Workers AI 3040', fault: { type: 'workers_ai_error', code: 3040 }, api: 'RUN', code: 'RATE_LIMITED', status: 429, upstreamCode: 3040, retried: true },
    { name: 'Workers AI 5007', fault: { type: 'workers_ai_error', code: 5007 }, api: 'RUN', code: 'UPSTREAM_ERROR', status: 400, upstreamCode: 5007, retried: false },
    { name: 'Workers AI 3007 timeout', fault: { type: 'workers_ai_error', code: 3007 }, api: 'RUN', code: 'UPSTREAM_TIMEOUT', status: 408, upstreamCode: 3007, retried: false },
    { name: '401 v4 10000', fault: { type: 'unauthorized' }, code: 'UPSTREAM_ERROR', status: 401, upstreamCode: 10000, retried: false },
  ];

  it.each(cases)('$name -> $code (complete and stream)', async ({ fault, api = 'CHAT_COMPLETIONS', code, status, upstreamCode, retried }) => {
    h.sim.injectFault(fault);
    const req = upstreamRequest({ api, model: MODELS[api] });
    const error = await h.client.complete(req).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ code, status, details: { upstreamStatus: status } });
    if (upstreamCode !== undefined) expect(error).toMatchObject({ upstreamCode });
    const message = (error as Error).message;
    expect(message).not.toContain(TEST_ACCOUNT);
    expect(message).not.toContain(h.config.apiToken);
    expect(h.sim.requests).toHaveLength(retried ? 3 : 1);
    await expect(h.client.stream({ ...req, eventId: 'again' })).rejects.toMatchObject({ code, status });
  });

  it('429 carries retryAfterMs from retry-after and is retried when short, honouring it', async () => {
    h.sim.injectFault({ type: 'rate_limit', retryAfterSeconds: 30 });
    await expect(h.client.complete(upstreamRequest())).rejects.toMatchObject({
      code: 'RATE_LIMITED',
      retryAfterMs: 30_000,
      details: { retryAfterMs: 30_000, upstreamStatus: 429, upstreamCode: 2003 },
    });
    h.sim.reset();
    h.sim.injectFault({ type: 'rate_limit', retryAfterSeconds: 0.1 }, { times: 1 });
    const started = Date.now();
    const result = await h.client.complete(upstreamRequest());
    expect(result.text).toBe('Echo: hello there simulator');
    expect(h.sim.requests).toHaveLength(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(95);
  });

  it('a retryable failure once, then success', async () => {
    h.sim.injectFault({ type: 'server_error', status: 502 }, { times: 2 });
    const events = await collect(upstreamRequest());
    expect(events.at(-1)).toMatchObject({ type: 'done' });
    expect(h.sim.requests).toHaveLength(3);
  });

  it('maxRetries 0 never retries', async () => {
    const client = h.makeClient({ maxRetries: 0 });
    h.sim.injectFault({ type: 'server_error', status: 503 });
    await expect(client.complete(upstreamRequest())).rejects.toMatchObject({ code: 'UPSTREAM_ERROR', status: 503 });
    expect(h.sim.requests).toHaveLength(1);
  });

  it('connection refused is retried and ends as UPSTREAM_ERROR', async () => {
    const client = h.makeClient({ baseUrl: 'http://127.0.0.1:1/client/v4' });
    await expect(client.complete(upstreamRequest())).rejects.toMatchObject({ code: 'UPSTREAM_ERROR', retryable: true });
  });
});

describe('mid-stream problems become one error event, never retried', () => {
  it.each(APIS)('%s: error frame in its own format', async (api) => {
    h.sim.injectFault({ type: 'error_frame', afterChunks: 2 });
    const events = await collect(upstreamRequest({ api, model: MODELS[api] }));
    expect(events.filter((e) => e.type === 'delta')).toHaveLength(2);
    const error = terminalError(events);
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error).toMatchObject({ code: 'UPSTREAM_ERROR', retryable: false });
    expect(h.sim.requests).toHaveLength(1);
  });

  it.each(APIS)('%s: malformed chunk', async (api) => {
    h.sim.injectFault({ type: 'malformed_chunk' });
    const events = await collect(upstreamRequest({ api, model: MODELS[api] }));
    expect(events.filter((e) => e.type === 'delta')).toHaveLength(1);
    expect(terminalError(events)).toMatchObject({ code: 'UPSTREAM_ERROR', message: expect.stringContaining('malformed') });
  });

  it.each(APIS)('%s: socket cut mid-stream', async (api) => {
    h.sim.injectFault({ type: 'cut_stream', afterChunks: 2 });
    const events = await collect(upstreamRequest({ api, model: MODELS[api] }));
    expect(events.filter((e) => e.type === 'delta')).toHaveLength(2);
    expect(terminalError(events)).toMatchObject({ code: 'UPSTREAM_ERROR' });
    expect(events.some((e) => e.type === 'done')).toBe(false);
  });

  it.each(APIS)('%s: a clean end without the terminal event is an error, not a success', async (api) => {
    h.sim.injectFault({ type: 'cut_stream', afterChunks: 1, clean: true });
    const events = await collect(upstreamRequest({ api, model: MODELS[api] }));
    expect(terminalError(events)).toMatchObject({ code: 'UPSTREAM_ERROR', message: expect.stringContaining('terminal event') });
  });

  it('mid-stream Anthropic rate_limit_error maps to RATE_LIMITED', async () => {
    const { errorFromFrame } = await import('../../src/upstream/errors.ts');
    expect(errorFromFrame({ type: 'error', error: { type: 'rate_limit_error', message: 'slow down' } }).code).toBe('RATE_LIMITED');
    expect(errorFromFrame({ type: 'response.failed', response: { error: { code: 'server_error', message: 'x' } } })).toMatchObject({
      code: 'UPSTREAM_ERROR',
      upstreamCode: 'server_error',
    });
  });

  it('non-streamed: malformed body and cut body', async () => {
    h.sim.injectFault({ type: 'malformed_chunk' }, { times: 1 });
    await expect(h.client.complete(upstreamRequest())).rejects.toMatchObject({ code: 'UPSTREAM_ERROR' });
    h.sim.injectFault({ type: 'cut_stream' }, { times: 1 });
    await expect(h.client.complete(upstreamRequest())).rejects.toMatchObject({ code: 'UPSTREAM_ERROR' });
  });
});

// undici arms its headers and body timers on a coarse (~0.5-1 s) clock: delays here exceed that.
describe('timeouts', () => {
  it('a slow first byte beyond timeoutMs is UPSTREAM_TIMEOUT, not retried', async () => {
    const client = h.makeClient({ timeoutMs: 100 });
    h.sim.injectFault({ type: 'slow_first_byte', ms: 1_600 });
    await expect(client.complete(upstreamRequest())).rejects.toMatchObject({ code: 'UPSTREAM_TIMEOUT' });
    expect(h.sim.requests).toHaveLength(1);
  });

  it('a stalled stream beyond timeoutMs ends with an UPSTREAM_TIMEOUT event', async () => {
    const client = h.makeClient({ timeoutMs: 150 });
    h.sim.injectFault({ type: 'slow_stream', ms: 1_600 });
    const events: UpstreamEvent[] = [];
    for await (const e of await client.stream(upstreamRequest())) events.push(e);
    expect(terminalError(events)).toMatchObject({ code: 'UPSTREAM_TIMEOUT' });
  });

  it('the gateway request timeout (cf-aig-request-timeout) maps to UPSTREAM_TIMEOUT', async () => {
    h.sim.injectFault({ type: 'slow_first_byte', ms: 2_000 });
    await expect(h.makeClient({ maxRetries: 0 }).complete(upstreamRequest({ requestTimeoutMs: 50 }))).rejects.toMatchObject({
      code: 'UPSTREAM_TIMEOUT',
      status: 504,
    });
  });
});

describe('cancellation', () => {
  it('aborting mid-stream ends with an AbortError event and closes the upstream socket at once', async () => {
    h.sim.injectFault({ type: 'slow_stream', ms: 100 });
    const controller = new AbortController();
    const closedBefore = h.sim.closedConnections;
    const stream = await h.client.stream(upstreamRequest({ messages: [{ role: 'user', content: 'one two three four five six' }] }), controller.signal);
    const events: UpstreamEvent[] = [];
    for await (const e of stream) {
      events.push(e);
      if (e.type === 'delta') controller.abort();
    }
    const error = terminalError(events);
    expect(error.name).toBe('AbortError');
    expect(events.filter((e) => e.type === 'delta')).toHaveLength(1);
    await vi.waitFor(() => expect(h.sim.closedConnections).toBeGreaterThan(closedBefore), { timeout: 500, interval: 5 });
    expect(h.sim.requests.at(-1)!.clientClosed).toBe(true);
  });

  it('breaking out of the loop closes the upstream socket too', async () => {
    h.sim.injectFault({ type: 'slow_stream', ms: 100 });
    const closedBefore = h.sim.closedConnections;
    for await (const e of await h.client.stream(upstreamRequest())) if (e.type === 'delta') break;
    await vi.waitFor(() => expect(h.sim.closedConnections).toBeGreaterThan(closedBefore), { timeout: 500, interval: 5 });
  });

  it('aborting before the first byte rejects with AbortError and closes the socket', async () => {
    h.sim.injectFault({ type: 'slow_first_byte', ms: 1_000 });
    const controller = new AbortController();
    const closedBefore = h.sim.closedConnections;
    setTimeout(() => controller.abort(), 30);
    await expect(h.client.complete(upstreamRequest(), controller.signal)).rejects.toMatchObject({ name: 'AbortError' });
    await vi.waitFor(() => expect(h.sim.closedConnections).toBeGreaterThan(closedBefore), { timeout: 500, interval: 5 });
  });

  it('an already aborted signal sends nothing', async () => {
    await expect(h.client.stream(upstreamRequest(), AbortSignal.abort())).rejects.toMatchObject({ name: 'AbortError' });
    expect(h.sim.requests).toHaveLength(0);
  });

  it('aborting during retry backoff stops at once', async () => {
    const client = h.makeClient({ retryBaseDelayMs: 5_000, retryMaxDelayMs: 10_000 });
    h.sim.injectFault({ type: 'server_error', status: 503 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    await expect(client.complete(upstreamRequest(), controller.signal)).rejects.toMatchObject({ name: 'AbortError' });
  });
});

// The upstream layer's own rules (routing, Cloudflare's headers, the wire shape); the values a
// caller chooses are the door's (test/graphql/one-schema.test.ts).
describe('bad input fails with BAD_INPUT before any request', () => {
  const bad: Array<[string, Partial<UpstreamRequest> | Record<string, unknown>]> = [
    ['api', { api: 'GRPC' }],
    ['metadata', { metadata: { a: 1, b: 2, c: 3, d: 4, e: 5, f: 6 } }],
    ['metadata', { metadata: { nested: { x: 1 } } }],
    ['messages', { messages: [] }],
    ['messages', { messages: [{ role: 'robot', content: 'hi' }] }],
    ['gatewayId', { gatewayId: '' }],
    ['cache.ttlSeconds', { cache: { ttlSeconds: -5 } }],
    ['legacyRun', { api: 'RUN', legacyRun: true, model: 'openai/gpt-5.5' }],
  ];
  it.each(bad)('%s: %j', async (field, patch) => {
    const req = { ...upstreamRequest(), ...patch } as UpstreamRequest;
    await expect(h.client.complete(req)).rejects.toMatchObject({ code: 'BAD_INPUT', details: { field } });
    await expect(h.client.stream(req)).rejects.toMatchObject({ code: 'BAD_INPUT', details: { field } });
    expect(h.sim.requests).toHaveLength(0);
  });
});
