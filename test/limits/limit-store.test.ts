// The two limit stores keep the same books: sliding minute, tokens per UTC day, exact spend per
// month, reservations that settle or lapse. Redis is tested against the real server.
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { dayOf, monthOf, type EffectiveLimits, type LedgerBooksSource, type LimitStore, type SubjectRef } from '../../src/domain/limits/limit-store.ts';
import { createMemoryLimitStore } from '../../src/domain/limits/memory-limit-store.ts';
import { usdToUnits, unitsToUsd } from '../../src/domain/limits/money.ts';
import { createRedisLimitStore } from '../../src/platform/redis-limit-store.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { closeRedisClient, createRedisClient } from '../../src/platform/redis.ts';
import { deleteRedisKeys, REDIS_URL, uniquePrefix } from './helpers.ts';

const clients: Redis[] = [];
const prefix = uniquePrefix();
afterAll(async () => {
  await Promise.all(clients.map((c) => closeRedisClient(c)));
  await deleteRedisKeys(prefix);
});

const stores: Array<[string, (ledger?: LedgerBooksSource, keyPrefix?: string) => LimitStore]> = [
  ['memory', (ledger) => createMemoryLimitStore({ ledger })],
  [
    'redis',
    (ledger, keyPrefix = prefix) => {
      const redis = createRedisClient({ url: REDIS_URL, logger: createLogger('silent') });
      clients.push(redis);
      return createRedisLimitStore({ redis, keyPrefix, ledger });
    },
  ],
];

const NONE: EffectiveLimits = { requestsPerMinute: null, tokensPerDay: null, monthlyBudgetUnits: null };

function reserve(store: LimitStore, userId: string, limits: Partial<EffectiveLimits>, tokens = 0, costUnits = 0n, ttlMs = 60_000) {
  return store.reserve({ subjects: [{ level: 'user', id: userId, limits: { ...NONE, ...limits } }], reservationId: randomUUID(), tokens, costUnits, ttlMs });
}

describe('money', () => {
  it('converts decimals to 1e-10 USD units exactly, rounding only past the 10th digit up', () => {
    expect(usdToUnits('25')).toBe(250_000_000_000n);
    expect(usdToUnits('0.0000000001')).toBe(1n);
    expect(usdToUnits('0.00000000001')).toBe(1n);
    expect(usdToUnits('1234567.0000000001')).toBe(12_345_670_000_000_001n);
    expect(unitsToUsd(12_345_670_000_000_001n)).toBe('1234567.0000000001');
  });
});

describe.each(stores)('%s limit store', (_name, make) => {
  const store = make();

  it('requests per minute: concurrent reservations never overshoot; the refusal says when to retry', async () => {
    const user = randomUUID();
    const results = await Promise.all(Array.from({ length: 50 }, () => reserve(store, user, { requestsPerMinute: 10 })));
    expect(results.filter((r) => r.ok)).toHaveLength(10);
    const refused = results.filter((r) => !r.ok);
    expect(refused).toHaveLength(40);
    for (const r of refused) {
      expect(r).toMatchObject({ ok: false, limit: 'requestsPerMinute' });
      if (!r.ok) expect(r.retryAfterMs).toBeGreaterThan(0), expect(r.retryAfterMs).toBeLessThanOrEqual(60_000);
    }
  });

  it('books to the current UTC day and month', async () => {
    const r = await reserve(store, randomUUID(), { tokensPerDay: 10 }, 1);
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.handle.day).toBe(dayOf(Date.now()));
      expect(r.handle.month).toBe(monthOf(Date.now()));
    }
  });

  it('tokens per day: the worst case is held until settle, then only the actual usage counts', async () => {
    const user = randomUUID();
    const first = await reserve(store, user, { tokensPerDay: 100 }, 60);
    expect(first.ok).toBe(true);
    expect(await reserve(store, user, { tokensPerDay: 100 }, 60)).toMatchObject({ ok: false, limit: 'tokensPerDay' });
    if (first.ok) await store.settle(first.handle, 10, 0n);
    expect((await reserve(store, user, { tokensPerDay: 100 }, 60)).ok).toBe(true); // 10 + 60
    expect(await reserve(store, user, { tokensPerDay: 100 }, 31)).toMatchObject({ ok: false, limit: 'tokensPerDay' }); // 70 + 31
    expect((await reserve(store, user, { tokensPerDay: 100 }, 30)).ok).toBe(true); // exactly 100
  });

  it('monthly spend is exact, also past 2^53 units', async () => {
    const user = randomUUID();
    const budget = usdToUnits('1234567.0000000001');
    const all = await reserve(store, user, { monthlyBudgetUnits: budget }, 0, budget);
    expect(all.ok).toBe(true);
    expect(await reserve(store, user, { monthlyBudgetUnits: budget }, 0, 1n)).toMatchObject({ ok: false, limit: 'monthlyBudgetUsd' });
    if (all.ok) await store.settle(all.handle, 0, budget - 1n);
    expect((await reserve(store, user, { monthlyBudgetUnits: budget }, 0, 1n)).ok).toBe(true);
    expect(await reserve(store, user, { monthlyBudgetUnits: budget }, 0, 1n)).toMatchObject({ ok: false, limit: 'monthlyBudgetUsd' });
  });

  it('concurrent spend reservations never overshoot the budget', async () => {
    const user = randomUUID();
    const results = await Promise.all(Array.from({ length: 40 }, () => reserve(store, user, { monthlyBudgetUnits: 1_000n }, 0, 70n)));
    expect(results.filter((r) => r.ok)).toHaveLength(14); // 14 x 70 = 980 <= 1000 < 1050
  });

  it("a reservation left by a crashed instance lapses after its ttl and is released", async () => {
    const user = randomUUID();
    expect((await reserve(store, user, { tokensPerDay: 100 }, 100, 0n, 50)).ok).toBe(true);
    expect(await reserve(store, user, { tokensPerDay: 100 }, 1)).toMatchObject({ ok: false });
    await new Promise((r) => setTimeout(r, 80));
    expect((await reserve(store, user, { tokensPerDay: 100 }, 100)).ok).toBe(true);
  });

  it('settling after the reservation lapsed still books the actual usage', async () => {
    const user = randomUUID();
    const r = await reserve(store, user, { tokensPerDay: 100 }, 50, 0n, 20);
    await new Promise((res) => setTimeout(res, 40));
    expect((await reserve(store, user, { tokensPerDay: 100 }, 1)).ok).toBe(true); // sweeps the lapsed one
    if (r.ok) await store.settle(r.handle, 90, 0n);
    expect(await reserve(store, user, { tokensPerDay: 100 }, 10)).toMatchObject({ ok: false }); // 1 + 90 + 10
    expect((await reserve(store, user, { tokensPerDay: 100 }, 9)).ok).toBe(true);
  });
});

describe.each(stores)('%s limit store: cancel', (_name, make) => {
  it('undoes a reservation (window slot and worst case) on every level, and is harmless when nothing was booked', async () => {
    const store = make();
    const subjects = [
      { level: 'key' as const, id: randomUUID(), limits: { ...NONE, requestsPerMinute: 1 } },
      { level: 'user' as const, id: randomUUID(), limits: { ...NONE, tokensPerDay: 10 } },
      { level: 'team' as const, id: randomUUID(), limits: { ...NONE, monthlyBudgetUnits: 100n } },
    ];
    const refs = subjects.map(({ level, id }) => ({ level, id }));
    const id = randomUUID();
    expect((await store.reserve({ subjects, reservationId: id, tokens: 10, costUnits: 100n, ttlMs: 60_000 })).ok).toBe(true);
    expect(await store.reserve({ subjects, reservationId: randomUUID(), tokens: 1, costUnits: 1n, ttlMs: 60_000 })).toMatchObject({ ok: false, level: 'key' });
    await store.cancel(refs, randomUUID());
    expect(await store.usage(refs)).toEqual([
      { requests: 1, tokens: 10, units: 100n },
      { requests: 1, tokens: 10, units: 100n },
      { requests: 1, tokens: 10, units: 100n },
    ]);
    await store.cancel(refs, id);
    expect(await store.usage(refs)).toEqual(refs.map(() => ({ requests: 0, tokens: 0, units: 0n })));
    expect((await store.reserve({ subjects, reservationId: randomUUID(), tokens: 10, costUnits: 100n, ttlMs: 60_000 })).ok).toBe(true);
  });
});

describe.each(stores)('%s limit store: several levels at once', (_name, make) => {
  it('books all or none: a refusal by one level books nothing on the others, and names its level', async () => {
    const store = make();
    const key = { level: 'key' as const, id: randomUUID(), limits: { ...NONE, requestsPerMinute: 100 } };
    const user = { level: 'user' as const, id: randomUUID(), limits: { ...NONE, tokensPerDay: 1_000 } };
    const team = { level: 'team' as const, id: randomUUID(), limits: { ...NONE, monthlyBudgetUnits: 250n } };
    const refs: SubjectRef[] = [key, user, team].map(({ level, id }) => ({ level, id }));
    const results = await Promise.all(
      Array.from({ length: 10 }, () => store.reserve({ subjects: [key, user, team], reservationId: randomUUID(), tokens: 10, costUnits: 100n, ttlMs: 60_000 })),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(2);
    for (const r of results.filter((x) => !x.ok)) expect(r).toMatchObject({ ok: false, level: 'team', limit: 'monthlyBudgetUsd' });
    expect(await store.usage(refs)).toEqual(refs.map(() => ({ requests: 2, tokens: 20, units: 200n })));
    // The team's members share its books: another user of the same team finds them.
    const other = { level: 'user' as const, id: randomUUID(), limits: NONE };
    expect(await store.reserve({ subjects: [other, team], reservationId: randomUUID(), tokens: 0, costUnits: 51n, ttlMs: 60_000 })).toMatchObject({ ok: false, level: 'team' });
    expect((await store.reserve({ subjects: [other, team], reservationId: randomUUID(), tokens: 0, costUnits: 50n, ttlMs: 60_000 })).ok).toBe(true);
  });
});

describe.each(stores)('%s limit store: books seeded from the ledger', (name, make) => {
  it('starts from the ledger\'s tokens today, spend this month and requests this minute, once per month', async () => {
    const calls: SubjectRef[] = [];
    const now = Date.now();
    const ledger: LedgerBooksSource = {
      booksOf: async (subject) => {
        calls.push(subject);
        await new Promise((r) => setTimeout(r, 20));
        return { tokensToday: 90, unitsThisMonth: 900n, requestTimes: [now - 120_000, now - 1_000, now - 2_000] };
      },
    };
    // A prefix of its own: the Redis books must start missing.
    const store = make(ledger, `${prefix}seed:${randomUUID()}:`);
    const user = { level: 'user' as const, id: randomUUID(), limits: { requestsPerMinute: 3, tokensPerDay: 100, monthlyBudgetUnits: 1_000n } };
    const results = await Promise.all(Array.from({ length: 5 }, () => store.reserve({ subjects: [user], reservationId: randomUUID(), tokens: 10, costUnits: 100n, ttlMs: 60_000 })));
    // 2 requests in the last minute + 90 tokens + 900 units: room for exactly one 10-token $100-unit call.
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(calls.length).toBeGreaterThanOrEqual(1);
    expect(await store.usage([user])).toEqual([{ requests: 3, tokens: 100, units: 1_000n }]);
    const seeds = calls.length;
    await store.usage([user]);
    expect(calls.length).toBe(seeds);
    if (name === 'memory') expect(seeds).toBe(1);
  });
});
