// The tRPC fast path (src/trpc/fast-path.ts) answers single queries and mutations as tRPC's own
// handler does. Two servers, one with the fast path and one without, get the same raw requests
// (same key role, same x-request-id); their status, content-type, vary and JSON bodies must be
// equal. The framing shows which handler answered: the fast path sends a content-length, tRPC's
// handler a chunked body, so a request the fast path should take and did not fails here too.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTRPCClient, httpBatchLink, httpLink } from '@trpc/client';
import type { AppRouter } from '../../src/trpc/router.ts';
import { createUserWithKey, startTestServer, type TestServer } from '../helpers/server.ts';

interface Side {
  server: TestServer;
  userKey: string;
}
let fast: Side;
let slow: Side;

beforeAll(async () => {
  const [a, b] = await Promise.all([startTestServer(), startTestServer({}, { fastPaths: false })]);
  fast = { server: a, userKey: (await createUserWithKey(a, 'fast@example.com')).key };
  slow = { server: b, userKey: (await createUserWithKey(b, 'fast@example.com')).key };
});
afterAll(async () => {
  await Promise.all([fast?.server.close(), slow?.server.close()]);
});

interface Ask {
  method: 'GET' | 'POST';
  path: string;
  body?: string;
  contentType?: string | null;
  auth?: 'user' | 'none';
}

async function send(side: Side, ask: Ask) {
  const headers: Record<string, string> = { 'x-request-id': 'fast-path-parity' };
  if (ask.auth !== 'none') headers.authorization = `Bearer ${side.userKey}`;
  if (ask.contentType !== null && ask.method === 'POST') headers['content-type'] = ask.contentType ?? 'application/json';
  const res = await fetch(`${side.server.url}${ask.path}`, { method: ask.method, headers, body: ask.body });
  const text = await res.text();
  return {
    status: res.status,
    contentType: res.headers.get('content-type'),
    vary: res.headers.get('vary'),
    chunked: res.headers.get('transfer-encoding') === 'chunked',
    body: JSON.parse(text) as unknown,
  };
}

const q = (input: unknown) => encodeURIComponent(JSON.stringify(input));
const TAKEN: Array<[string, Ask]> = [
  ['an unauthenticated mutation', { method: 'POST', path: '/trpc/generate', body: JSON.stringify({ model: 'openai/gpt-5.5', prompt: 'hi' }), auth: 'none' }],
  ['a mutation with a bad model id (BAD_INPUT)', { method: 'POST', path: '/trpc/generate', body: JSON.stringify({ model: 'bad model\u0000', prompt: 'hi' }) }],
  ['a mutation whose body is not JSON', { method: 'POST', path: '/trpc/generate', body: '{"model":' }],
  ['a mutation with an empty body', { method: 'POST', path: '/trpc/generate', body: '' }],
  ['a batch of one mutation (BAD_INPUT)', { method: 'POST', path: '/trpc/generate?batch=1', body: JSON.stringify({ 0: { model: 'openai/gpt-5.5', prompt: 'x', temperature: 9 } }) }],
  ['a batch whose input is not an object', { method: 'POST', path: '/trpc/generate?batch=1', body: '[1]' }],
  ['a batch of one query', { method: 'GET', path: `/trpc/usage.report?batch=1&input=${q({ 0: { from: '2026-01-01T00:00:00Z', to: '2026-02-01T00:00:00Z', groupBy: ['DAY'] } })}` }],
  ['a query with input', { method: 'GET', path: `/trpc/usage.report?input=${q({ from: '2026-01-01T00:00:00Z', to: '2026-02-01T00:00:00Z', groupBy: [] })}` }],
  ['a query with bad input', { method: 'GET', path: `/trpc/usage.report?input=${q({ from: 'yesterday', groupBy: ['NOPE'] })}` }],
  ['an unauthenticated batch of one query', { method: 'GET', path: `/trpc/me?batch=1&input=${q({})}`, auth: 'none' }],
  ['a body with a byte order mark', { method: 'POST', path: '/trpc/generate', body: `\uFEFF${JSON.stringify({ model: 'bad model!', prompt: 'hi' })}` }],
];
const NOT_TAKEN: Array<[string, Ask]> = [
  ['a mutation sent with GET', { method: 'GET', path: `/trpc/generate?input=${q({ model: 'openai/gpt-5.5', prompt: 'hi' })}` }],
  ['a query sent with POST', { method: 'POST', path: '/trpc/models', body: '{}' }],
  ['a procedure that does not exist', { method: 'POST', path: '/trpc/nope', body: '{}' }],
  ['a mutation without a content type', { method: 'POST', path: '/trpc/generate', body: '{}', contentType: null }],
  ['a mutation sent as text/plain', { method: 'POST', path: '/trpc/generate', body: '{}', contentType: 'text/plain' }],
  ['a batch of two', { method: 'GET', path: `/trpc/me,me?batch=1&input=${q({})}`, auth: 'none' }],
];

describe('the tRPC fast path answers as tRPC does', () => {
  for (const [what, ask] of TAKEN) {
    it(`${what}: same answer, from the fast path`, async () => {
      const [a, b] = await Promise.all([send(fast, ask), send(slow, ask)]);
      expect({ ...a, chunked: undefined }).toEqual({ ...b, chunked: undefined });
      expect(a.chunked).toBe(false);
      expect(b.chunked).toBe(true);
    });
  }
  for (const [what, ask] of NOT_TAKEN) {
    it(`${what}: left to tRPC's handler`, async () => {
      const [a, b] = await Promise.all([send(fast, ask), send(slow, ask)]);
      expect({ ...a, chunked: undefined }).toEqual({ ...b, chunked: undefined });
      expect(a.chunked).toBe(true);
      expect(a.status).toBeGreaterThanOrEqual(400);
    });
  }

  it('a real call through @trpc/client (httpLink and httpBatchLink) gets the same generation', async () => {
    for (const side of [fast, slow]) {
      const headers = { authorization: `Bearer ${side.userKey}` };
      for (const link of [httpLink({ url: `${side.server.url}/trpc`, headers }), httpBatchLink({ url: `${side.server.url}/trpc`, headers })]) {
        const client = createTRPCClient<AppRouter>({ links: [link] });
        const g = await client.generate.mutate({ model: 'openai/gpt-5.5', prompt: 'fast path parity' });
        expect(g.text).toContain('fast path parity');
        expect(g.usage.outputTokens).toBeGreaterThan(0);
      }
    }
    const rows = await fast.server.app.db.prisma.usageRecord.count({ where: { status: 'OK' } });
    expect(rows).toBe(2);
  });
});
