// Key and team limits survive a restart, as the user budget does (test/limits/restarts.test.ts):
// with the in-process limit store, a restarted server starts with empty counters and seeds each
// subject's books from the ledger on its first call. A key's tokens per day and a team's monthly
// budget, spent close to their limit in a first run, still refuse the next call after a restart.
import { afterAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import { Dec } from '../../src/domain/pricing/pricing.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { freshDatabase, type FreshDatabase } from '../helpers/database.ts';
import { ADMIN_KEY, testEnv } from '../helpers/server.ts';
import { flatPricing, postTrpc, type TrpcResult } from '../limits/helpers.ts';

const MODEL = '@cf/moonshotai/kimi-k2.6';
// Ten words, ~51 bytes: an upper bound of ~151 tokens (64 + 16 + 51 + maxTokens 20); ~27 actually used.
const prompt = (i: number) => `call ${i} alpha beta gamma delta epsilon zeta eta theta`;

let db: FreshDatabase | undefined;
afterAll(() => db?.cleanup());

describe('key and team limits across a restart (in-process limit store, same database)', () => {
  it("a key's tokensPerDay and a team's monthlyBudgetUsd, nearly spent before the restart, refuse the next call after it", async () => {
    db = await freshDatabase();
    const env = testEnv(db, { AUTH_CACHE_TTL_MS: '0' });
    // $0.001 a token: a call's worst case is ~$0.039, its actual cost ~$0.027.
    const start = () => createApp(env, { logger: createLogger('silent'), pricing: flatPricing(1_000) });
    const call = (url: string, key: string, i: number): Promise<TrpcResult> => postTrpc(url, key, 'generate', { model: MODEL, prompt: prompt(i), maxTokens: 20 });

    // Run 1: a user with a key limited to 100 tokens a day; two members of a team with $0.1 a month.
    let app = await start();
    let url = await app.listen(0);
    let keyUser: string, keySecret: string, keyId: string, teamId: string, spender: string, idle: string;
    const refusedIn1: Record<string, unknown>[] = [];
    try {
      const admin = <T>(path: string, input: unknown) => postTrpc<T>(url, ADMIN_KEY, path, input).then((r) => (r.ok ? r.data : Promise.reject(new Error(JSON.stringify(r.error)))));
      keyUser = (await admin<{ id: string }>('admin.createUser', { email: 'key-owner@example.com', role: 'USER' })).id;
      const key = await admin<{ secret: string; apiKey: { id: string } }>('admin.createApiKey', { userId: keyUser, name: 'app', limits: { tokensPerDay: 240 } });
      keySecret = key.secret;
      keyId = key.apiKey.id;
      const m1 = (await admin<{ id: string }>('admin.createUser', { email: 'member-1@example.com', role: 'USER' })).id;
      const m2 = (await admin<{ id: string }>('admin.createUser', { email: 'member-2@example.com', role: 'USER' })).id;
      teamId = (await admin<{ id: string }>('admin.teams.create', { name: 'restart-team', limits: { monthlyBudgetUsd: '0.25' } })).id;
      await admin('admin.teams.addMember', { teamId, userId: m1 });
      await admin('admin.teams.addMember', { teamId, userId: m2 });
      spender = (await admin<{ secret: string }>('admin.createApiKey', { userId: m1, name: 'spender' })).secret;
      idle = (await admin<{ secret: string }>('admin.createApiKey', { userId: m2, name: 'idle' })).secret;

      for (const [secret, limit] of [
        [keySecret, 'key:tokensPerDay'],
        [spender, 'team:monthlyBudgetUsd'],
      ] as const) {
        let admitted = 0;
        for (let i = 0; i < 8; i++) {
          const r = await call(url, secret, i);
          if (r.ok) admitted++;
          else {
            expect(r.error.data).toMatchObject({ appCode: 'BUDGET_EXCEEDED', limit });
            refusedIn1.push(r.error.data);
            break;
          }
        }
        // More than one call fits on empty books, so a restart that forgot them would admit again.
        expect(admitted, limit).toBeGreaterThanOrEqual(2);
      }
      expect(refusedIn1).toHaveLength(2);
    } finally {
      await app.close();
    }

    const rows = async () => app.db.prisma.usageRecord.findMany({ where: { OR: [{ apiKeyId: keyId }, { teamId }] } });
    // Run 2: the same database, a new process's empty counters.
    app = await start();
    url = await app.listen(0);
    try {
      const before = await rows();
      const upstreamBefore = app.simulator!.requests.length;
      const keyTokens = before.filter((r) => r.apiKeyId === keyId).reduce((a, r) => a + r.totalTokens, 0);
      const teamSpent = before.filter((r) => r.teamId === teamId).reduce((a, r) => a.plus(r.costUsd!.toString()), new Dec(0));
      expect(keyTokens).toBeLessThanOrEqual(240);
      expect(keyTokens).toBeGreaterThan(240 - 153); // near the limit: the next upper bound does not fit
      expect(teamSpent.lte('0.25')).toBe(true);
      expect(teamSpent.gt('0.097')).toBe(true); // near the budget: the next upper bound (~$0.153) does not fit

      const keyCall = await call(url, keySecret, 100);
      expect(!keyCall.ok && keyCall.error.data).toMatchObject({ appCode: 'BUDGET_EXCEEDED', limit: 'key:tokensPerDay', level: 'key' });
      // The member that has not called yet is held by what the other spent before the restart.
      const teamCall = await call(url, idle, 101);
      expect(!teamCall.ok && teamCall.error.data).toMatchObject({ appCode: 'BUDGET_EXCEEDED', limit: 'team:monthlyBudgetUsd', level: 'team' });
      expect(app.simulator!.requests.length).toBe(upstreamBefore);
      expect(await rows()).toHaveLength(before.length);

      // Only the key's and the team's limits refuse: the key's owner, through a key without limits, is served.
      const admin = <T>(path: string, input: unknown) => postTrpc<T>(url, ADMIN_KEY, path, input).then((r) => (r.ok ? r.data : Promise.reject(new Error(JSON.stringify(r.error)))));
      const free = await admin<{ secret: string }>('admin.createApiKey', { userId: keyUser, name: 'unlimited' });
      expect((await call(url, free.secret, 102)).ok).toBe(true);
    } finally {
      await app.close();
    }
  }, 120_000);
});
