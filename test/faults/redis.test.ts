// Redis (the shared limit store) behind a fault proxy, on both databases: refused, dropped,
// stalled and slow connections. A limited call is served or refused RATE_LIMITED / UNAVAILABLE
// with a retry time (never INTERNAL, never passed unlimited); `me.remaining` is UNAVAILABLE while
// the store cannot be read, never null (null means unlimited); the settled usage stays within the
// daily token limit; every upstream request has its row; service is back within seconds.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { userWithKey } from '../limits/helpers.ts';
import { aiRequests, expectEveryRequestRecorded, expectRetryableOrOk, generate, generateStream, startFaultServer, until, type Answer, type FaultServer } from './helpers.ts';

const TOKENS_PER_DAY = 2_500;

describe('Redis behind a fault proxy', () => {
  let server: FaultServer;
  let key: string;
  let userId: string;
  const proxy = () => server.redisProxy!;
  const call = (i: number, tag: string) => (i % 3 === 0 ? generateStream(server.url, key, `${tag} ${i}`, undefined, { maxTokens: 40 }) : generate(server.url, key, `${tag} ${i}`, { maxTokens: 40 }));

  beforeAll(async () => {
    server = await startFaultServer({ redis: true, env: { UPSTREAM_MAX_RETRIES: '0', AUTH_CACHE_TTL_MS: '0' } });
    ({ key, userId } = await userWithKey(server.url, 'redis-faults@example.com'));
    await server.app.db.prisma.user.update({ where: { id: userId }, data: { tokensPerDay: TOKENS_PER_DAY, requestsPerMinute: 10_000 } });
    expect((await generate(server.url, key, 'warm up', { maxTokens: 10 })).code).toBe('OK');
  }, 60_000);
  afterAll(() => server?.close());

  const backWithin = (ms: number) => until('a limited call served again', async () => (await generate(server.url, key, 'back?', { maxTokens: 10 })).code === 'OK', ms);

  it('refusing connections: limited calls are refused with a retry time before upstream; me.remaining is UNAVAILABLE (503, Retry-After) on GraphQL and tRPC, never null', async () => {
    proxy().down();
    const sent = aiRequests(server.sim).length;
    const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => call(i, 'redis down')));
    expect(answers.every((a) => a.code === 'RATE_LIMITED' || a.code === 'UNAVAILABLE')).toBe(true);
    expectRetryableOrOk(answers);
    expect(aiRequests(server.sim).length).toBe(sent);

    const gql = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ query: '{ me { id remaining { tokensToday requestsThisMinute budgetUsdThisMonth } } }' }),
    });
    const body = (await gql.json()) as { data?: { me: { remaining: unknown } | null }; errors?: Array<{ path?: string[]; extensions: Record<string, unknown> }> };
    expect(gql.status).toBe(503);
    expect(gql.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(body.errors?.[0]).toMatchObject({ path: ['me', 'remaining'], extensions: { code: 'UNAVAILABLE', retryAfterMs: expect.any(Number) } });

    const trpc = await fetch(`${server.url}/trpc/me`, { headers: { authorization: `Bearer ${key}` } });
    const trpcBody = (await trpc.json()) as { result?: unknown; error?: { data: Record<string, unknown> } };
    expect(trpc.status).toBe(503);
    expect(trpc.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(trpcBody.error?.data).toMatchObject({ appCode: 'UNAVAILABLE', code: 'SERVICE_UNAVAILABLE', httpStatus: 503, retryAfterMs: expect.any(Number) });

    proxy().pass();
    expect(await backWithin(5_000)).toBeLessThan(5_000);
    const remaining = (await (await fetch(`${server.url}/trpc/me`, { headers: { authorization: `Bearer ${key}` } })).json()) as { result: { data: { remaining: { tokensToday: number | null } } } };
    expect(remaining.result.data.remaining.tokensToday).toEqual(expect.any(Number));
    await expectEveryRequestRecorded(server);
  }, 60_000);

  it('dropped, stalled and slow connections: every call served or refused with a retry time; all recorded', async () => {
    const answers: Answer[] = [];
    // drop: every 100 ms, while calls run
    let dropping = true;
    const dropper = (async () => {
      while (dropping) {
        proxy().drop();
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    for (let wave = 0; wave < 3; wave++) answers.push(...(await Promise.all(Array.from({ length: 5 }, (_, i) => call(i, `drop ${wave}`)))));
    dropping = false;
    await dropper;
    // stall: 1.5 s
    proxy().stall();
    const stalled = Promise.all(Array.from({ length: 5 }, (_, i) => call(i, 'stall')));
    await new Promise((r) => setTimeout(r, 1_500));
    proxy().pass();
    answers.push(...(await stalled));
    // slow: every packet 30 ms late
    proxy().slow(30);
    answers.push(...(await Promise.all(Array.from({ length: 5 }, (_, i) => call(i, 'slow')))));
    proxy().pass();
    expectRetryableOrOk(answers);
    expect(await backWithin(5_000)).toBeLessThan(5_000);
    await expectEveryRequestRecorded(server);
  }, 60_000);

  it('the daily token limit holds through faults: a burst past it under dropped connections settles within the limit', async () => {
    let dropping = true;
    const dropper = (async () => {
      while (dropping) {
        proxy().drop();
        await new Promise((r) => setTimeout(r, 150));
      }
    })();
    const answers = await Promise.all(Array.from({ length: 60 }, (_, i) => generate(server.url, key, `budget burst ${i} ${'lorem ipsum '.repeat(8)}`, { maxTokens: 40 })));
    dropping = false;
    await dropper;
    expectRetryableOrOk(answers.filter((a) => a.code !== 'BUDGET_EXCEEDED'));
    await expectEveryRequestRecorded(server);
    const [sum] = await server.app.db.prisma.$queryRawUnsafe<Array<{ used: bigint | number | null }>>(
      `SELECT sum("totalTokens") AS used FROM "UsageRecord" WHERE "userId" = $1::uuid AND "createdAt" >= date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'`,
      userId,
    );
    expect(Number(sum?.used ?? 0)).toBeLessThanOrEqual(TOKENS_PER_DAY);
    expect(answers.some((a) => a.code === 'BUDGET_EXCEEDED' || a.code === 'RATE_LIMITED')).toBe(true);
  }, 60_000);
});
