// Idempotency across two server processes on one PostgreSQL: the database's primary key
// (userId, key) decides which call runs; the other instance waits for it or returns its stored
// result, and a different input under the key is IDEMPOTENCY_CONFLICT on either instance.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLUSTER_ADMIN_KEY, startCluster, type Cluster } from '../helpers/processes.ts';
import { deleteRedisKeys, postTrpc, REDIS_URL } from '../limits/helpers.ts';

const MODEL = '@cf/moonshotai/kimi-k2.6';

describe.skipIf(!process.env.DATABASE_URL)('idempotency across two instances', () => {
  let cluster: Cluster;
  let key: string;
  let userId: string;
  beforeAll(async () => {
    cluster = await startCluster({ redisUrl: REDIS_URL });
    const a = cluster.instances[0]!.url;
    const user = await postTrpc<{ id: string }>(a, CLUSTER_ADMIN_KEY, 'admin.createUser', { email: 'idem-cluster@example.com', role: 'USER' });
    const created = user.ok ? await postTrpc<{ secret: string }>(a, CLUSTER_ADMIN_KEY, 'admin.createApiKey', { userId: user.data.id, name: 't' }) : undefined;
    if (!user.ok || !created?.ok) throw new Error('could not create the user');
    userId = user.data.id;
    key = created.data.secret;
  }, 90_000);
  afterAll(async () => {
    await cluster?.close();
    if (cluster) await deleteRedisKeys(cluster.redisKeyPrefix);
  });

  const url = (i: number) => cluster.instances[i % 2]!.url;
  const upstreamPosts = () => cluster.sim.requests.filter((r) => r.method === 'POST').length;
  const ledgerRows = async (idempotencyKey: string) =>
    Number((await cluster.sql<{ n: string }>('SELECT count(*) AS n FROM "UsageRecord" WHERE "userId" = $1 AND "idempotencyKey" = $2', [userId, idempotencyKey]))[0]!.n);

  it('a repeat on the other instance returns the stored result: same id, no upstream call', async () => {
    const input = { model: MODEL, prompt: 'first on A', idempotencyKey: 'x-seq' };
    const before = upstreamPosts();
    const first = await postTrpc<{ id: string }>(url(0), key, 'generate', input);
    const second = await postTrpc<{ id: string }>(url(1), key, 'generate', input);
    expect(first.ok && second.ok).toBe(true);
    if (first.ok && second.ok) expect(second.data).toEqual(first.data);
    expect(upstreamPosts() - before).toBe(1);
    expect(await ledgerRows('x-seq')).toBe(1);
  });

  it('concurrent repeats on both instances: one upstream call, one ledger row, one id', async () => {
    const input = { model: MODEL, prompt: 'racing [[fault:slow_first_byte:400]]', idempotencyKey: 'x-race' };
    const before = upstreamPosts();
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => postTrpc<{ id: string }>(url(i), key, 'generate', input)));
    const ids = new Set(results.map((r) => (r.ok ? r.data.id : `error ${JSON.stringify(r.error)}`)));
    expect(ids.size).toBe(1);
    expect(upstreamPosts() - before).toBe(1);
    expect(await ledgerRows('x-race')).toBe(1);
  });

  it('chat: concurrent repeats on both instances give one turn, one conversation', async () => {
    const input = { model: MODEL, message: 'chat race [[fault:slow_first_byte:300]]', idempotencyKey: 'x-chat' };
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => postTrpc<{ conversation: { id: string }; generation: { id: string } }>(url(i), key, 'chat', input)));
    const turns = new Set(results.map((r) => (r.ok ? `${r.data.conversation.id}/${r.data.generation.id}` : `error ${JSON.stringify(r.error)}`)));
    expect(turns.size).toBe(1);
    const conversations = await cluster.sql('SELECT id FROM "Conversation" WHERE "userId" = $1', [userId]);
    expect(conversations).toHaveLength(1);
  });

  it('the same key with another input is IDEMPOTENCY_CONFLICT on either instance', async () => {
    for (const i of [0, 1]) {
      const r = await postTrpc(url(i), key, 'generate', { model: MODEL, prompt: 'not the first input', idempotencyKey: 'x-seq' });
      expect(r).toMatchObject({ ok: false, error: { data: { appCode: 'IDEMPOTENCY_CONFLICT' } } });
    }
    // Also while the first call is still running.
    const slow = postTrpc(url(0), key, 'generate', { model: MODEL, prompt: 'slow [[fault:slow_first_byte:400]]', idempotencyKey: 'x-pending' });
    await new Promise((r) => setTimeout(r, 150));
    const conflict = await postTrpc(url(1), key, 'generate', { model: MODEL, prompt: 'other', idempotencyKey: 'x-pending' });
    expect(conflict).toMatchObject({ ok: false, error: { data: { appCode: 'IDEMPOTENCY_CONFLICT' } } });
    expect((await slow).ok).toBe(true);
  });
});
