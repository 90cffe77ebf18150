// Pool exhaustion on two instances sharing one PostgreSQL database (finding 9). A busy instance
// is never taken for dead: its lease is renewed on a connection of its own, so while every pooled
// connection is held the other instance's sweeps leave its live calls alone. A request that needs
// a pooled connection waits a bounded time, then is UNAVAILABLE (503) with a retry time, never
// INTERNAL. A burst of 300 concurrent calls over the two instances is served or refused that way.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { userWithKey } from '../limits/helpers.ts';
import { ADMIN_KEY, aiRequests, eventIdOf, expectRetryableOrOk, generate, generateStream, onPostgres, startFaultServer, until, type FaultServer } from './helpers.ts';
import { CONNECT_TIMEOUT_MS, POOL_SIZE } from '../../src/db/postgres.ts';

const LEASE_MS = '900';

describe.skipIf(!onPostgres)('pool exhaustion, two instances', () => {
  let a: FaultServer;
  let b: FaultServer;
  let key: string;

  beforeAll(async () => {
    const first = await startFaultServer({ env: { RECOVERY_LEASE_MS: LEASE_MS, UPSTREAM_MAX_RETRIES: '0' } });
    a = first;
    b = await startFaultServer({ database: first.database, env: { RECOVERY_LEASE_MS: LEASE_MS, UPSTREAM_MAX_RETRIES: '0' } });
    ({ key } = await userWithKey(a.url, 'pool@example.com'));
    expect((await generate(a.url, key, 'warm a')).code).toBe('OK');
    expect((await generate(b.url, key, 'warm b')).code).toBe('OK');
  }, 60_000);
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  it('every pooled connection held for 4 s: live calls finish OK (the other instance never marks them INTERRUPTED); a pool wait is UNAVAILABLE with a retry time', async () => {
    // (A Prisma query runs only once awaited: .then starts it.)
    const held = Array.from({ length: POOL_SIZE }, () => a.app.db.prisma.$executeRawUnsafe('SELECT pg_sleep(4)').then(() => undefined));
    await new Promise((r) => setTimeout(r, 200));
    const streams = Array.from({ length: 4 }, (_, i) => generateStream(a.url, key, `[[fault:slow_stream:120]] live ${i} ${'word '.repeat(20)}`));

    // A request that needs a pooled connection: bounded wait, then 503 UNAVAILABLE with Retry-After.
    const started = performance.now();
    const res = await fetch(`${a.url}/trpc/usage.report?input=${encodeURIComponent(JSON.stringify({ from: '2020-01-01T00:00:00Z', to: '2100-01-01T00:00:00Z', groupBy: ['MODEL'] }))}`, {
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
    });
    const waited = performance.now() - started;
    const body = (await res.json()) as { error?: { data: { appCode: string; retryAfterMs?: number } } };
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(body.error?.data).toMatchObject({ appCode: 'UNAVAILABLE', retryAfterMs: expect.any(Number) });
    expect(waited).toBeLessThan(CONNECT_TIMEOUT_MS + 1_500);

    const answers = await Promise.all(streams);
    await Promise.allSettled(held);
    expect(answers.map((s) => s.code)).toEqual(['OK', 'OK', 'OK', 'OK']);
    // B swept several times meanwhile (every 900 ms): none of A's calls is INTERRUPTED.
    expect(await a.rows(`"status" = 'INTERRUPTED'`)).toEqual([]);
  }, 60_000);

  it('300 concurrent calls over the two instances: each served, or refused UNAVAILABLE / RATE_LIMITED with a retry time; every upstream request recorded', async () => {
    const answers = await Promise.all(
      Array.from({ length: 300 }, (_, i) => {
        const url = i % 2 === 0 ? a.url : b.url;
        return i % 5 === 0 ? generateStream(url, key, `burst ${i}`) : generate(url, key, `burst ${i}`);
      }),
    );
    expectRetryableOrOk(answers);
    expect(answers.filter((x) => x.code === 'OK').length).toBeGreaterThan(150);
    let problem = '';
    await until(
      'every upstream request of both instances recorded',
      async () => {
        const ids = new Set([...aiRequests(a.sim), ...aiRequests(b.sim)].map(eventIdOf));
        const rows = await a.rows();
        const byId = new Set(rows.map((r) => r.id));
        const missing = [...ids].filter((id) => !byId.has(id));
        const pending = rows.filter((r) => r.status === 'PENDING' || r.status === 'INTERRUPTED');
        problem = JSON.stringify({ missing: missing.length, pending: pending.length });
        return missing.length === 0 && pending.length === 0;
      },
      10_000,
    ).catch(() => {
      throw new Error(`ledger invariant broken: ${problem}`);
    });
  }, 120_000);
});
