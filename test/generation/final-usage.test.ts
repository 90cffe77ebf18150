// Final usage only: upstream usage counts only from a stream's closing usage event (Messages:
// message_delta after the content). A client that leaves an Anthropic stream early leaves a
// CANCELLED row carrying an estimate (usageEstimated true), never message_start's partial
// output figure (1 token); a stream read to its end records the provider's final figures.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UpstreamApi, UpstreamRequest } from '../../src/upstream/call-vocabulary.ts';
import { WIRE_FORMATS } from '../../src/upstream/formats/index.ts';
import { collectTrpc, trpcHttp } from '../helpers/clients.ts';
import { createUserWithKey, startTestServer, type TestServer } from '../helpers/server.ts';

const MODEL = 'anthropic/claude-sonnet-4-5';
/** "Echo:" and 299 words: 300 chunks, 300 output tokens. */
const words = Array.from({ length: 299 }, (_, i) => `w${i}`);

let server: TestServer;
let key: string;
let userId: string;
beforeAll(async () => {
  server = await startTestServer();
  ({ key, userId } = await createUserWithKey(server, 'final-usage@example.com'));
});
afterAll(() => server?.close());

type Event = { type: string; text?: string };
const deltas = (events: Event[]) => events.filter((e) => e.type === 'delta').length;

/** The user's next finished row (rows are taken in order, one per call). */
let taken = 0;
async function nextRow() {
  const until = Date.now() + 5_000;
  for (;;) {
    const rows = await server.app.db.prisma.usageRecord.findMany({ where: { userId, status: { not: 'PENDING' } }, orderBy: { createdAt: 'asc' } });
    if (rows.length > taken) return rows[taken++]!;
    if (Date.now() > until) throw new Error('no finished row');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('final usage only from the closing usage event (Messages)', () => {
  it('a client that reads 250 of 300 chunks and leaves: CANCELLED, estimated usage, not the 1 output token of message_start', async () => {
    const prompt = `${words.join(' ')} [[fault:slow_stream:3]]`;
    const events = await collectTrpc<Event>((h) => trpcHttp(server.url, key).generateStream.subscribe({ model: MODEL, prompt }, h as never), (e) => deltas(e) >= 250);
    expect(deltas(events)).toBeGreaterThanOrEqual(250);
    expect(deltas(events)).toBeLessThan(300);
    const row = await nextRow();
    expect(row.status).toBe('CANCELLED');
    expect(row.usageEstimated).toBe(true);
    // The estimate of 250 short words of output, far from message_start's "1".
    expect(row.outputTokens).toBeGreaterThan(100);
    expect(row.inputTokens).toBeGreaterThan(0);
  });

  it('a stream read to its end records the final usage of message_delta (300 output tokens), not estimated', async () => {
    const prompt = words.join(' ');
    const events = await collectTrpc<Event>((h) => trpcHttp(server.url, key).generateStream.subscribe({ model: MODEL, prompt }, h as never));
    const row = await nextRow();
    expect(events.filter((e) => e.type === 'delta').map((e) => e.text).join('').split(' ')).toHaveLength(300);
    expect(row).toMatchObject({ status: 'OK', usageEstimated: false, outputTokens: 300 });
  });

  it('a stream cut after its opening event records an estimate, never the partial figure', async () => {
    const prompt = `${words.slice(0, 40).join(' ')} [[fault:cut_stream:20]]`;
    await collectTrpc<Event>((h) => trpcHttp(server.url, key).generateStream.subscribe({ model: MODEL, prompt }, h as never)).catch(() => []);
    const row = await nextRow();
    expect(row.status).toBe('ERROR');
    expect(row.usageEstimated).toBe(true);
    expect(row.outputTokens).toBeGreaterThan(1);
  });
});

describe('the closing usage event of each wire format', () => {
  const req: UpstreamRequest = { model: 'm', messages: [{ role: 'user', content: 'hi' }], gatewayId: 'default', eventId: 'e' };
  const mapper = (api: UpstreamApi) => {
    const m = WIRE_FORMATS[api].createEventMapper([], req);
    return (data: object | '[DONE]', event?: string) => m.push({ data: data === '[DONE]' ? data : JSON.stringify(data), ...(event && { event }) });
  };
  const usages = (events: Array<{ type: string }>) => events.filter((e) => e.type === 'usage');

  it('Messages: nothing at message_start, the final figures at message_delta', () => {
    const push = mapper('MESSAGES');
    expect(usages(push({ type: 'message_start', message: { model: 'm', usage: { input_tokens: 10, output_tokens: 1 } } }))).toEqual([]);
    expect(usages(push({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'hello' } }))).toEqual([]);
    expect(usages(push({ type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 301 } }))).toMatchObject([{ usage: { inputTokens: 10, outputTokens: 301 } }]);
  });

  it('Chat Completions: the usage chunk (no choices) is final at once; usage on a content chunk waits for [DONE]', () => {
    const push = mapper('CHAT_COMPLETIONS');
    expect(usages(push({ choices: [{ index: 0, delta: { content: 'a' } }], usage: { prompt_tokens: 5, completion_tokens: 1 } }))).toEqual([]);
    expect(usages(push({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] }))).toEqual([]);
    expect(usages(push({ choices: [], usage: { prompt_tokens: 5, completion_tokens: 7 } }))).toMatchObject([{ usage: { inputTokens: 5, outputTokens: 7 } }]);
  });

  it('Responses: only response.completed carries usage', () => {
    const push = mapper('RESPONSES');
    expect(usages(push({ type: 'response.created', response: { model: 'm', usage: null } }, 'response.created'))).toEqual([]);
    expect(usages(push({ type: 'response.output_text.delta', delta: 'a' }, 'response.output_text.delta'))).toEqual([]);
    const done = push({ type: 'response.completed', response: { model: 'm', status: 'completed', output: [], usage: { input_tokens: 4, output_tokens: 9 } } }, 'response.completed');
    expect(usages(done)).toMatchObject([{ usage: { inputTokens: 4, outputTokens: 9 } }]);
  });
});
