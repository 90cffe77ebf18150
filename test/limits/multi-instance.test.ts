// Two server processes on one PostgreSQL and one Redis: limits hold across instances. 50
// concurrent calls against a 10-call limit -> exactly 10 reach the upstream (counted at the
// simulator), 40 are refused, and the ledger agrees. PostgreSQL only (PGlite is single-process).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inputTokenBound } from '../../src/domain/limits/reservation-bound.ts';
import { CLUSTER_ADMIN_KEY, startCluster, type Cluster } from '../helpers/processes.ts';
import { deleteRedisKeys, postTrpc, REDIS_URL } from './helpers.ts';

const MODEL = '@cf/moonshotai/kimi-k2.6';

describe.skipIf(!process.env.DATABASE_URL)('limits across two instances (PostgreSQL + Redis)', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await startCluster({ redisUrl: REDIS_URL });
  }, 90_000);
  afterAll(async () => {
    await cluster?.close();
    if (cluster) await deleteRedisKeys(cluster.redisKeyPrefix);
  });

  async function userWithLimits(email: string, limits: { requestsPerMinute?: number; tokensPerDay?: number }) {
    const [a] = cluster.instances;
    const user = await postTrpc<{ id: string }>(a!.url, CLUSTER_ADMIN_KEY, 'admin.createUser', { email, role: 'USER' });
    if (!user.ok) throw new Error(JSON.stringify(user.error));
    const created = await postTrpc<{ secret: string }>(a!.url, CLUSTER_ADMIN_KEY, 'admin.createApiKey', { userId: user.data.id, name: 't' });
    if (!created.ok) throw new Error(JSON.stringify(created.error));
    await cluster.sql('UPDATE "User" SET "requestsPerMinute" = $2, "tokensPerDay" = $3 WHERE id = $1', [user.data.id, limits.requestsPerMinute ?? null, limits.tokensPerDay ?? null]);
    return { userId: user.data.id, key: created.data.secret };
  }

  const upstreamPosts = () => cluster.sim.requests.filter((r) => r.method === 'POST').length;
  const ledgerRows = async (userId: string) => Number((await cluster.sql<{ n: string }>('SELECT count(*) AS n FROM "UsageRecord" WHERE "userId" = $1', [userId]))[0]!.n);

  async function burst(key: string, input: Record<string, unknown>, n = 50) {
    return Promise.all(Array.from({ length: n }, (_, i) => postTrpc(cluster.instances[i % cluster.instances.length]!.url, key, 'generate', input)));
  }

  it('requests per minute: 50 concurrent calls over both instances, exactly 10 reach upstream', async () => {
    const { userId, key } = await userWithLimits('rpm-cluster@example.com', { requestsPerMinute: 10 });
    const before = upstreamPosts();
    const results = await burst(key, { model: MODEL, prompt: 'hello cluster' });
    const ok = results.filter((r) => r.ok).length;
    const codes = results.flatMap((r) => (r.ok ? [] : [r.error.data.appCode]));
    expect(ok).toBe(10);
    expect(codes).toHaveLength(40);
    expect(codes.every((c) => c === 'RATE_LIMITED' || c === 'BUDGET_EXCEEDED')).toBe(true);
    expect(upstreamPosts() - before).toBe(10);
    expect(await ledgerRows(userId)).toBe(10);
  });

  it('token budget: 50 concurrent calls, room for 10 worst cases -> exactly 10 reach upstream', async () => {
    const prompt = 'budgeted [[fault:slow_first_byte:3000]]';
    const maxTokens = 50;
    const worst = inputTokenBound({ messages: [{ role: 'user', content: prompt }] }) + maxTokens;
    const { userId, key } = await userWithLimits('tokens-cluster@example.com', { tokensPerDay: worst * 10 + worst - 1 });
    const before = upstreamPosts();
    const results = await burst(key, { model: MODEL, prompt, maxTokens });
    expect(results.filter((r) => r.ok)).toHaveLength(10);
    const refused = results.flatMap((r) => (r.ok ? [] : [r.error.data]));
    expect(refused).toHaveLength(40);
    for (const data of refused) expect(data).toMatchObject({ appCode: 'BUDGET_EXCEEDED', limit: 'tokensPerDay' });
    expect(upstreamPosts() - before).toBe(10);
    expect(await ledgerRows(userId)).toBe(10);
    // Settled to the actual usage (far below the worst case): room again on either instance.
    const again = await postTrpc(cluster.instances[1]!.url, key, 'generate', { model: MODEL, prompt: 'after settle', maxTokens });
    expect(again.ok).toBe(true);
  });
});
