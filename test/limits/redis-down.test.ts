// REDIS_URL set but Redis unreachable: a limited call is refused at once with UNAVAILABLE (503,
// retryAfterMs, Retry-After), never passes unlimited, sends nothing upstream, writes no
// ledger row; the server keeps serving. A user without any limit needs no Redis and is served.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricValue, postTrpc, startLimitServer, userWithKey, type LimitServer } from './helpers.ts';

const MODEL = '@cf/moonshotai/kimi-k2.6';

describe('Redis down while REDIS_URL is set', () => {
  let server: LimitServer;
  beforeAll(async () => {
    // Port 1 on loopback: nothing listens there, connections are refused.
    server = await startLimitServer({ REDIS_URL: 'redis://127.0.0.1:1', REDIS_TIMEOUT_MS: '300' });
  });
  afterAll(() => server?.close());

  it('refuses limited calls with a clear, retryable code, quickly, and keeps serving', async () => {
    const { userId, key } = await userWithKey(server.url, 'down@example.com');
    await server.app.db.prisma.user.update({ where: { id: userId }, data: { requestsPerMinute: 1000 } });
    const upstreamBefore = server.app.simulator!.requests.length;
    const started = performance.now();
    const results = await Promise.all(Array.from({ length: 10 }, () => postTrpc(server.url, key, 'generate', { model: MODEL, prompt: 'hello' })));
    expect(performance.now() - started).toBeLessThan(5_000);
    for (const r of results) {
      expect(r.ok).toBe(false);
      if (!r.ok) {
        // A dependency the call needs cannot take it: UNAVAILABLE, 503 (it was RATE_LIMITED, 429).
        expect(r.status).toBe(503);
        expect(r.error.data).toMatchObject({ appCode: 'UNAVAILABLE' });
        expect(r.error.data.retryAfterMs).toBeGreaterThan(0);
        expect(r.error.message).toMatch(/cannot be checked/);
      }
    }
    expect(server.app.simulator!.requests.length).toBe(upstreamBefore);
    expect(await server.app.db.prisma.usageRecord.count({ where: { userId } })).toBe(0);
    expect(await metricValue(server.url, 'switchboard_limit_refusals_total', 'limit="unavailable"')).toBe(10);

    // GraphQL says the same.
    const gql = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ query: 'mutation($i: GenerateInput!) { generate(input: $i) { id } }', variables: { i: { model: MODEL, prompt: 'hi' } } }),
    });
    const body = (await gql.json()) as { errors: Array<{ extensions: Record<string, unknown> }> };
    expect(gql.status).toBe(503);
    expect(body.errors[0]!.extensions).toMatchObject({ code: 'UNAVAILABLE' });
    expect(body.errors[0]!.extensions.retryAfterMs).toBeGreaterThan(0);
    expect(gql.headers.get('retry-after')).not.toBeNull();

    // Still alive and serving.
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    const free = await userWithKey(server.url, 'free@example.com');
    const served = await postTrpc<{ text: string }>(server.url, free.key, 'generate', { model: MODEL, prompt: 'no limits here' });
    expect(served).toMatchObject({ ok: true, data: { text: 'Echo: no limits here' } });
  });
});
