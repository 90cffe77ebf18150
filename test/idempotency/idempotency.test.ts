// Idempotency keys on generate and chat (one process; both databases): a repeat returns the
// first result without an upstream call or a new ledger row; a concurrent repeat waits for the
// first; another input under the same key is IDEMPOTENCY_CONFLICT; a failed first call lets a
// repeat run again. The Idempotency-Key header works like the input field.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postTrpc, startLimitServer, userWithKey, type LimitServer } from '../limits/helpers.ts';

const MODEL = '@cf/moonshotai/kimi-k2.6';

describe('idempotency keys (one instance)', () => {
  let server: LimitServer;
  let key: string;
  let userId: string;
  beforeAll(async () => {
    server = await startLimitServer({ UPSTREAM_MAX_RETRIES: '0' });
    ({ key, userId } = await userWithKey(server.url, 'idem@example.com'));
  });
  afterAll(() => server?.close());

  const upstreamCalls = () => server.app.simulator!.requests.filter((r) => r.method === 'POST').length;
  const ledger = () => server.app.db.prisma.usageRecord.count({ where: { userId } });

  it('generate: a repeat returns the same generation without a new upstream call or ledger row', async () => {
    const input = { model: MODEL, prompt: 'once only', idempotencyKey: 'gen-1' };
    const before = upstreamCalls();
    const first = await postTrpc<{ id: string; text: string }>(server.url, key, 'generate', input);
    const again = await postTrpc<{ id: string; text: string }>(server.url, key, 'generate', input);
    expect(first.ok && again.ok).toBe(true);
    if (first.ok && again.ok) expect(again.data).toEqual(first.data);
    expect(upstreamCalls() - before).toBe(1);
    expect(await ledger()).toBe(1);
  });

  it('the same key with another input is IDEMPOTENCY_CONFLICT', async () => {
    const r = await postTrpc(server.url, key, 'generate', { model: MODEL, prompt: 'something else', idempotencyKey: 'gen-1' });
    expect(r).toMatchObject({ ok: false, status: 409, error: { data: { appCode: 'IDEMPOTENCY_CONFLICT' } } });
  });

  it('concurrent repeats wait for the first and share its result', async () => {
    const before = upstreamCalls();
    const input = { model: MODEL, prompt: 'slow one [[fault:slow_first_byte:300]]', idempotencyKey: 'gen-concurrent' };
    const results = await Promise.all(Array.from({ length: 8 }, () => postTrpc<{ id: string }>(server.url, key, 'generate', input)));
    const ids = new Set(results.map((r) => (r.ok ? r.data.id : `error ${JSON.stringify(r.error)}`)));
    expect(ids.size).toBe(1);
    expect(upstreamCalls() - before).toBe(1);
  });

  it('the Idempotency-Key header works over tRPC and GraphQL alike (same input -> same id)', async () => {
    const t = await postTrpc<{ id: string }>(server.url, key, 'generate', { model: MODEL, prompt: 'by header' }, { 'idempotency-key': 'hdr-1' });
    const g = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, 'idempotency-key': 'hdr-1' },
      body: JSON.stringify({ query: 'mutation($i: GenerateInput!) { generate(input: $i) { id } }', variables: { i: { model: MODEL, prompt: 'by header' } } }),
    });
    const body = (await g.json()) as { data: { generate: { id: string } } };
    expect(t.ok && body.data.generate.id).toBe(t.ok ? t.data.id : 'x');
  });

  it('a failed first call lets the repeat run', async () => {
    const before = upstreamCalls();
    const failed = await postTrpc(server.url, key, 'generate', { model: MODEL, prompt: 'flaky [[fault:server_error:500]]', idempotencyKey: 'gen-fail' });
    expect(failed.ok).toBe(false);
    const retried = await postTrpc(server.url, key, 'generate', { model: MODEL, prompt: 'flaky [[fault:server_error:500]]', idempotencyKey: 'gen-fail' });
    expect(retried.ok).toBe(false);
    expect(upstreamCalls() - before).toBe(2);
  });

  it('chat: a repeat returns the same turn and stores no new messages', async () => {
    const input = { model: MODEL, message: 'hello chat', idempotencyKey: 'chat-1' };
    const first = await postTrpc<{ conversation: { id: string; createdAt: string }; generation: { id: string }; assistantMessage: { content: string } }>(server.url, key, 'chat', input);
    const again = await postTrpc<typeof first extends { ok: true; data: infer D } ? D : never>(server.url, key, 'chat', input);
    expect(first.ok && again.ok).toBe(true);
    if (!first.ok || !again.ok) return;
    expect(again.data).toEqual(first.data);
    const conversation = await server.app.db.prisma.conversation.findUnique({ where: { id: first.data.conversation.id }, include: { messages: true } });
    expect(conversation!.messages).toHaveLength(2);
    const conflict = await postTrpc(server.url, key, 'chat', { ...input, message: 'another' });
    expect(conflict).toMatchObject({ ok: false, error: { data: { appCode: 'IDEMPOTENCY_CONFLICT' } } });
  });

  it('a key older than 24 hours is used afresh', async () => {
    const input = { model: MODEL, prompt: 'old key', idempotencyKey: 'gen-old' };
    const first = await postTrpc<{ id: string }>(server.url, key, 'generate', input);
    await server.app.db.prisma.idempotencyRecord.update({ where: { userId_key: { userId, key: 'gen-old' } }, data: { expiresAt: new Date(Date.now() - 1000) } });
    const later = await postTrpc<{ id: string }>(server.url, key, 'generate', { ...input, prompt: 'a different input now' });
    expect(first.ok && later.ok).toBe(true);
    if (first.ok && later.ok) expect(later.data.id).not.toBe(first.data.id);
  });
});
