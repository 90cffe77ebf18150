// Two server processes on one PostgreSQL and one Redis: a team's limits hold across instances
// for all of its members together. 50 concurrent calls from 5 members against a team limit of
// 10 -> exactly 10 reach the upstream (counted at the simulator) and 10 ledger rows.
// PostgreSQL only (PGlite is single-process).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inputTokenBound } from '../../src/domain/limits/reservation-bound.ts';
import { CLUSTER_ADMIN_KEY, startCluster, type Cluster } from '../helpers/processes.ts';
import { deleteRedisKeys, postTrpc, REDIS_URL } from '../limits/helpers.ts';

const MODEL = '@cf/moonshotai/kimi-k2.6';

describe.skipIf(!process.env.DATABASE_URL)('team limits across two instances (PostgreSQL + Redis)', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await startCluster({ redisUrl: REDIS_URL });
  }, 90_000);
  afterAll(async () => {
    await cluster?.close();
    if (cluster) await deleteRedisKeys(cluster.redisKeyPrefix);
  });

  async function admin<T>(path: string, input: unknown): Promise<T> {
    const r = await postTrpc<T>(cluster.instances[0]!.url, CLUSTER_ADMIN_KEY, path, input);
    if (!r.ok) throw new Error(`${path}: ${JSON.stringify(r.error)}`);
    return r.data;
  }

  /** A team with the given limits and 5 members, each with its own key (created on alternating instances). */
  async function teamOfFive(name: string, limits: Record<string, unknown>) {
    const team = await admin<{ id: string }>('admin.teams.create', { name, limits });
    const keys: string[] = [];
    for (let i = 0; i < 5; i++) {
      const user = await admin<{ id: string }>('admin.createUser', { email: `${name}-${i}@example.com` });
      keys.push((await admin<{ secret: string }>('admin.createApiKey', { userId: user.id, name: 'member' })).secret);
      await admin('admin.teams.addMember', { teamId: team.id, userId: user.id });
    }
    return { teamId: team.id, keys };
  }

  const upstreamPosts = () => cluster.sim.requests.filter((r) => r.method === 'POST').length;
  const teamRows = async (teamId: string) => Number((await cluster.sql<{ n: string }>('SELECT count(*) AS n FROM "UsageRecord" WHERE "teamId" = $1', [teamId]))[0]!.n);

  /** 50 concurrent calls: member i % 5, instance i % 2; every prompt the same length (its number in two digits). */
  const burst = (keys: string[], input: Record<string, unknown>) =>
    Promise.all(Array.from({ length: 50 }, (_, i) => postTrpc(cluster.instances[i % 2]!.url, keys[i % keys.length]!, 'generate', { ...input, prompt: `${String(input.prompt)} ${String(i).padStart(2, '0')}` })));

  it('a 10-request team budget: 50 concurrent calls from 5 members over both instances are exactly 10 upstream calls and 10 rows', async () => {
    const { teamId, keys } = await teamOfFive('rpm-team', { requestsPerMinute: 10 });
    const before = upstreamPosts();
    const results = await burst(keys, { model: MODEL, prompt: 'team call' });
    expect(results.filter((r) => r.ok)).toHaveLength(10);
    const refused = results.flatMap((r) => (r.ok ? [] : [r.error.data]));
    expect(refused).toHaveLength(40);
    for (const data of refused) expect(data).toMatchObject({ appCode: 'RATE_LIMITED', limit: 'team:requestsPerMinute' });
    expect(upstreamPosts() - before).toBe(10);
    expect(await teamRows(teamId)).toBe(10);
  }, 120_000);

  it('a team token budget: 50 concurrent calls, room for 10 worst cases -> exactly 10 upstream calls and 10 rows', async () => {
    const prompt = 'team budgeted [[fault:slow_first_byte:10000]]';
    const maxTokens = 50;
    // The prompt carries the call's number in two digits: every call has the same upper bound.
    const worst = inputTokenBound({ messages: [{ role: 'user', content: `${prompt} 49` }] }) + maxTokens;
    const { teamId, keys } = await teamOfFive('token-team', { tokensPerDay: worst * 10 + worst - 1 });
    const before = upstreamPosts();
    const results = await burst(keys, { model: MODEL, prompt, maxTokens });
    expect(results.filter((r) => r.ok)).toHaveLength(10);
    const refused = results.flatMap((r) => (r.ok ? [] : [r.error.data]));
    expect(refused).toHaveLength(40);
    for (const data of refused) expect(data).toMatchObject({ appCode: 'BUDGET_EXCEEDED', limit: 'team:tokensPerDay' });
    expect(upstreamPosts() - before).toBe(10);
    expect(await teamRows(teamId)).toBe(10);
  }, 120_000);
});
