// Limits survive restarts: the books are seeded from the ledger, so a restarted server (in-process
// store) or a flushed Redis does not start the month from zero. A $1 monthly budget, spent in a
// first run, stays unexceeded over three restarts. And a call that never went upstream gives its
// whole reservation back (both stores).
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import { Dec } from '../../src/domain/pricing/pricing.ts';
import { createLimitAdmission } from '../../src/domain/limits/limit-admission.ts';
import type { LimitStore } from '../../src/domain/limits/limit-store.ts';
import { createMemoryLimitStore } from '../../src/domain/limits/memory-limit-store.ts';
import { usdToUnits } from '../../src/domain/limits/money.ts';
import { createRedisLimitStore } from '../../src/platform/redis-limit-store.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { closeRedisClient, createRedisClient } from '../../src/platform/redis.ts';
import { freshDatabase } from '../helpers/database.ts';
import { testEnv } from '../helpers/server.ts';
import { deleteRedisKeys, flatPricing, postTrpc, REDIS_URL, uniquePrefix, userWithKey } from './helpers.ts';

const MODEL = '@cf/moonshotai/kimi-k2.6';
const prefixes: string[] = [];
afterAll(async () => {
  for (const p of prefixes) await deleteRedisKeys(p);
});

describe.each([
  ['without Redis', false],
  ['with Redis flushed between runs', true],
])('a $1 monthly budget across three restarts (%s)', (_name, withRedis) => {
  it('is never exceeded: each run is refused once the ledger, not the counters, says the budget is spent', async () => {
    const db = await freshDatabase();
    const prefix = uniquePrefix();
    prefixes.push(prefix);
    const env = testEnv(db, { AUTH_CACHE_TTL_MS: '0', ...(withRedis && { REDIS_URL, REDIS_KEY_PREFIX: prefix }) });
    let user: { userId: string; key: string } | undefined;
    const admitted: number[] = [];
    try {
      for (let run = 0; run < 4; run++) {
        if (withRedis && run > 0) await deleteRedisKeys(prefix);
        // $0.005 a token: a call's upper bound (~116 tokens) is ~$0.58, its actual use far less.
        const app = await createApp(env, { logger: createLogger('silent'), pricing: flatPricing(5_000) });
        try {
          const url = await app.listen(0);
          if (!user) {
            user = await userWithKey(url, 'restarts@example.com');
            await app.db.prisma.user.update({ where: { id: user.userId }, data: { monthlyBudgetUsd: '1' } });
          }
          let n = 0;
          let refusedBy: unknown;
          for (let i = 0; i < 30 && refusedBy === undefined; i++) {
            const r = await postTrpc(url, user.key, 'generate', { model: MODEL, prompt: `run ${run} call ${i}`, maxTokens: 20 });
            if (r.ok) n++;
            else refusedBy = r.error.data;
          }
          admitted.push(n);
          expect(refusedBy).toMatchObject({ appCode: 'BUDGET_EXCEEDED', limit: 'monthlyBudgetUsd' });
          const rows = await app.db.prisma.usageRecord.findMany({ where: { userId: user.userId } });
          const spent = rows.reduce((a, r) => a.plus(r.costUsd?.toString() ?? '0'), new Dec(0));
          expect(spent.lte(1), `run ${run}: spent ${spent.toFixed()}`).toBe(true);
        } finally {
          await app.close();
        }
      }
    } finally {
      await db.cleanup();
    }
    // The first run spent most of the budget; with books that forgot it, every run would admit as many again.
    expect(admitted[0]).toBeGreaterThanOrEqual(2);
    expect(admitted.slice(1).reduce((a, n) => a + n, 0)).toBeLessThan(admitted[0]!);
  }, 120_000);
});

describe.each([
  ['in-process', (): LimitStore => createMemoryLimitStore()],
  [
    'redis',
    (): LimitStore => {
      const redis = createRedisClient({ url: REDIS_URL, logger: createLogger('silent') });
      afterAll(() => closeRedisClient(redis));
      const prefix = uniquePrefix();
      prefixes.push(prefix);
      return createRedisLimitStore({ redis, keyPrefix: prefix });
    },
  ],
])('a failed-before-upstream call returns its reservation (%s store)', (_name, makeStore) => {
  it('gives back its request slot, tokens and dollars on every level', async () => {
    const store = makeStore();
    const userId = randomUUID();
    const teamId = randomUUID();
    const admission = createLimitAdmission({
      limitsOf: async () => ({
        subjects: [
          { level: 'user', id: userId, limits: { requestsPerMinute: 1, tokensPerDay: 150, monthlyBudgetUnits: null } },
          { level: 'team', id: teamId, limits: { requestsPerMinute: null, tokensPerDay: null, monthlyBudgetUnits: usdToUnits('0.2') } },
        ],
        allowedModels: [],
      }),
      store,
      pricing: flatPricing(1_000),
      reservationTtlMs: 600_000,
      logger: createLogger('silent'),
    });
    const request = { principal: { userId, role: 'USER' as const, teamId }, model: MODEL, maxTokens: 100, inputTokenBound: 10 };
    const held = await admission.admit(request);
    await expect(admission.admit(request)).rejects.toMatchObject({ code: 'RATE_LIMITED' });
    expect(await store.usage([{ level: 'user', id: userId }, { level: 'team', id: teamId }])).toEqual([
      { requests: 1, tokens: 110, units: usdToUnits('0.11') },
      { requests: 1, tokens: 110, units: usdToUnits('0.11') },
    ]);
    await held.release();
    expect(await store.usage([{ level: 'user', id: userId }, { level: 'team', id: teamId }])).toEqual([
      { requests: 0, tokens: 0, units: 0n },
      { requests: 0, tokens: 0, units: 0n },
    ]);
    // The full worst case fits again (it would not, had the first one kept its tokens or dollars).
    const again = await admission.admit(request);
    await again.release();
  });
});
