// Nothing is lost to a crash, and rows equal upstream requests exactly. A real server process
// runs a mixed load (both APIs, streamed and not, 429 / 5xx retried as attempts, a mid-stream
// drop, a malformed chunk, client aborts); then, with 3 streamed and 3 non-streamed calls in
// flight, it is killed with SIGKILL and restarted on the same database. Recovery turns each of
// the 6 calls into exactly one INTERRUPTED row with estimated usage, their chat turns show as
// interrupted, nothing stays PENDING, and the ledger holds one row per event id the simulator
// received, each with the status that matches what the simulator did.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/db/index.ts';
import { startSimulator, type RecordedRequest, type Simulator } from '../../src/simulator/server.ts';
import { collectTrpc, graphqlSse, graphqlWs, trpcHttp } from '../helpers/clients.ts';
import { freshDatabase, type FreshDatabase } from '../helpers/database.ts';
import { spawnInstance, type Instance } from '../helpers/processes.ts';
import { postTrpc, userWithKey } from '../limits/helpers.ts';
import { ADMIN_KEY } from '../helpers/server.ts';

let sim: Simulator;
let fresh: FreshDatabase;
let env: Record<string, string>;
let instance: Instance | undefined;
let user: { userId: string; key: string };
/** The prompts of the calls in flight at the kill. */
const INFLIGHT = 'inflight';

beforeAll(async () => {
  sim = await startSimulator();
  fresh = await freshDatabase();
  env = {
    NODE_ENV: 'test',
    PORT: '0',
    LOG_LEVEL: 'silent',
    DATA_DIR: fresh.dataDir,
    ...(fresh.databaseUrl && { DATABASE_URL: fresh.databaseUrl }),
    ADMIN_API_KEY: ADMIN_KEY,
    CLOUDFLARE_API_TOKEN: 'crash-sim-token',
    CLOUDFLARE_ACCOUNT_ID: 'crash-account',
    CLOUDFLARE_API_BASE_URL: sim.baseUrl,
    UPSTREAM_MAX_RETRIES: '2',
    RECOVERY_LEASE_MS: '2000',
    SHUTDOWN_GRACE_MS: '2000',
  };
  instance = await spawnInstance(env, 120_000);
  user = await userWithKey(instance.url, 'crash@example.com');
}, 240_000);

afterAll(async () => {
  await instance?.stop();
  await sim?.close();
  await fresh?.cleanup();
});

type Report = { rows: Array<{ status: string | null; requests: number; estimatedRequests: number }> };
async function byStatus(url: string): Promise<Record<string, number>> {
  const input = encodeURIComponent(JSON.stringify({ from: '2020-01-01T00:00:00Z', to: '2100-01-01T00:00:00Z', groupBy: ['STATUS'], allUsers: true }));
  const res = await fetch(`${url}/trpc/usage.report?input=${input}`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
  const body = (await res.json()) as { result?: { data: Report }; error?: unknown };
  if (!body.result) throw new Error(JSON.stringify(body.error));
  return Object.fromEntries(body.result.data.rows.map((row) => [row.status ?? '?', row.requests]));
}

async function until<T>(what: string, probe: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const aiRequests = (): RecordedRequest[] => sim.requests.filter((r) => r.method === 'POST' && r.path.includes('/ai/'));
const promptOf = (r: RecordedRequest) => JSON.stringify(r.body);

describe('SIGKILL and restart', () => {
  const conversations: string[] = [];

  it('a mixed run: OK, 429 and 503 retried as attempts, 500, a mid-stream drop, a malformed chunk, client aborts', async () => {
    const url = instance!.url;
    const trpc = trpcHttp(url, user.key);
    const gen = (input: Record<string, unknown>) => postTrpc<{ id: string }>(url, user.key, 'generate', input);
    expect((await gen({ model: 'openai/gpt-5.5', prompt: 'plain ok' })).ok).toBe(true);
    const gql = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${user.key}` },
      body: JSON.stringify({ query: 'mutation { chat(input: { model: "anthropic/claude-sonnet-4-5", message: "graphql chat ok" }) { generation { id } } }' }),
    });
    expect(((await gql.json()) as { data?: unknown }).data).toBeTruthy();
    sim.injectFault({ type: 'rate_limit', retryAfterSeconds: 0 }, { times: 1, match: (r) => promptOf(r).includes('retry once 429') });
    expect((await gen({ model: 'openai/gpt-5.5', prompt: 'retry once 429' })).ok).toBe(true);
    sim.injectFault({ type: 'server_error', status: 503 }, { times: 2, match: (r) => promptOf(r).includes('retry twice 503') });
    expect((await gen({ model: '@cf/moonshotai/kimi-k2.6', prompt: 'retry twice 503' })).ok).toBe(true);
    expect((await gen({ model: 'openai/gpt-5.5', prompt: 'plain 500 [[fault:server_error:500]]' })).ok).toBe(false);
    await expect(collectTrpc((h) => trpc.generateStream.subscribe({ model: 'openai/gpt-5.5', prompt: 'one two three four five six [[fault:cut_stream:2]]' }, h as never))).rejects.toBeTruthy();
    const malformed = await graphqlSse(url, user.key, 'subscription { generateStream(input: { model: "anthropic/claude-sonnet-4-5", prompt: "one two three four five [[fault:malformed_chunk:2]]" }) { __typename } }', {});
    expect(malformed.errors.length).toBeGreaterThan(0);
    // Client aborts mid-stream, over tRPC SSE and GraphQL SSE.
    await collectTrpc((h) => trpc.generateStream.subscribe({ model: 'openai/gpt-5.5', prompt: 'abort me one two three four five six [[fault:slow_stream:300]]' }, h as never), (e) => e.length >= 2);
    await graphqlSse(url, user.key, 'subscription { generateStream(input: { model: "openai/gpt-5.5", prompt: "abort me too one two three four five [[fault:slow_stream:300]]" }) { __typename } }', {}, (e) => e.length >= 1);
    const wsOk = await graphqlWs(url, user.key, 'subscription { generateStream(input: { model: "@cf/moonshotai/kimi-k2.6", prompt: "ws stream ok" }) { __typename } }', {});
    expect(wsOk.errors).toEqual([]);
    // Every call settled: nothing PENDING.
    await until('no PENDING rows', () => byStatus(url), (s) => !s.PENDING);
  }, 240_000);

  it('3 streamed and 3 non-streamed calls in flight over both APIs -> SIGKILL -> restart: 6 INTERRUPTED rows with estimated usage, chat turns interrupted, nothing PENDING', async () => {
    const url = instance!.url;
    const trpc = trpcHttp(url, user.key);
    const slow = `[[fault:slow_first_byte:120000]]`;
    const drip = `[[fault:slow_stream:30000]]`;
    const swallow = (p: Promise<unknown>) => p.catch(() => {});
    // Non-streamed: tRPC generate, GraphQL generate, tRPC chat.
    swallow(postTrpc(url, user.key, 'generate', { model: 'openai/gpt-5.5', prompt: `${INFLIGHT} trpc generate ${slow}` }));
    swallow(
      fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${user.key}` },
        body: JSON.stringify({ query: `mutation { generate(input: { model: "anthropic/claude-sonnet-4-5", prompt: "${INFLIGHT} graphql generate ${slow}" }) { id } }` }),
      }),
    );
    swallow(postTrpc(url, user.key, 'chat', { model: 'openai/gpt-5.5', message: `${INFLIGHT} trpc chat ${slow}` }));
    // Streamed: tRPC chatStream (SSE), GraphQL chatStream (WebSocket), GraphQL generateStream (SSE).
    const sub = trpc.chatStream.subscribe({ model: 'openai/gpt-5.5', message: `${INFLIGHT} trpc chatStream one two three ${drip}` }, {
      onData: (e) => {
        if ((e as { type: string }).type === 'conversationStarted') conversations.push((e as { conversation: { id: string } }).conversation.id);
      },
      onError: () => {},
    });
    swallow(
      graphqlWs<{ __typename: string; conversation?: { id: string } }>(
        url,
        user.key,
        `subscription { chatStream(input: { model: "anthropic/claude-sonnet-4-5", message: "${INFLIGHT} graphql chatStream one two ${drip}" }) { __typename ... on ConversationStarted { conversation { id } } } }`,
        {},
        (events) => {
          for (const e of events) if (e.conversation && !conversations.includes(e.conversation.id)) conversations.push(e.conversation.id);
          return false;
        },
      ),
    );
    swallow(graphqlSse(url, user.key, `subscription { generateStream(input: { model: "openai/gpt-5.5", prompt: "${INFLIGHT} graphql generateStream one two ${drip}" }) { __typename } }`, {}));

    // All six rows written ahead (visible in the report as PENDING) and all six requests upstream.
    await until('6 PENDING rows', () => byStatus(url), (s) => s.PENDING === 6);
    await until('6 requests in flight upstream', async () => aiRequests().filter((r) => promptOf(r).includes(INFLIGHT)).length, (n) => n === 6);

    await instance!.kill();
    sub.unsubscribe();
    instance = await spawnInstance(env, 120_000);
    const after = await until('recovery', () => byStatus(instance!.url), (s) => !s.PENDING && s.INTERRUPTED === 6);
    expect(after.INTERRUPTED).toBe(6);

    // Each chat turn (tRPC chat, tRPC chatStream, GraphQL chatStream) shows as interrupted.
    const client = trpcHttp(instance.url, user.key);
    const list = await client.conversations.list.query({ first: 100 });
    const turns = await Promise.all(list.nodes.map((c) => client.conversations.get.query({ id: c.id })));
    const interrupted = turns.flatMap((t) => t.messages).filter((m) => m.content.includes(INFLIGHT));
    expect(interrupted).toHaveLength(3);
    for (const m of interrupted) expect(m).toMatchObject({ role: 'USER', status: 'INTERRUPTED' });
    for (const id of conversations) expect(turns.find((t) => t.id === id)?.messages.at(-1)?.status).toBe('INTERRUPTED');
  }, 300_000);

  it('rows equal upstream requests exactly, each with the status that matches what the simulator did', async () => {
    await instance!.stop();
    instance = undefined;
    const db: Database = await openDatabase({ databaseUrl: fresh.databaseUrl, dataDir: fresh.dataDir, log: () => {} });
    try {
      const rows = await db.prisma.usageRecord.findMany();
      const requests = aiRequests();
      const eventIds = new Set(requests.map((r) => String(r.headers['cf-aig-event-id'])));
      expect(eventIds.size).toBe(requests.length);
      expect(rows).toHaveLength(eventIds.size);
      expect(new Set(rows.map((r) => r.id))).toEqual(eventIds);

      const expected = (r: RecordedRequest): string => {
        if (promptOf(r).includes(INFLIGHT)) return 'INTERRUPTED';
        if (r.outcome !== 'ok' && r.outcome !== 'slow_stream' && r.outcome !== 'slow_first_byte') return 'ERROR';
        return r.clientClosed ? 'CANCELLED' : 'OK';
      };
      const byId = new Map(rows.map((r) => [r.id, r]));
      const statuses = requests.map((r) => [promptOf(r).slice(0, 60), byId.get(String(r.headers['cf-aig-event-id']))!.status, expected(r)]);
      for (const [what, actual, want] of statuses) expect(actual, what).toBe(want);
      // The run did exercise every kind.
      expect(new Set(statuses.map(([, , want]) => want))).toEqual(new Set(['OK', 'ERROR', 'CANCELLED', 'INTERRUPTED']));
      // Retries are attempts of one call: the 503 call has 3 rows sharing callId, attempts 1..3.
      const retried = rows.filter((r) => requests.some((q) => String(q.headers['cf-aig-event-id']) === r.id && promptOf(q).includes('retry twice 503')));
      expect(retried.map((r) => r.attempt).sort()).toEqual([1, 2, 3]);
      expect(new Set(retried.map((r) => r.callId)).size).toBe(1);
      expect(retried.map((r) => r.status).sort()).toEqual(['ERROR', 'ERROR', 'OK']);
      // Interrupted rows carry the estimate; refused attempts carry 0 tokens.
      for (const r of rows.filter((row) => row.status === 'INTERRUPTED')) {
        expect(r).toMatchObject({ usageEstimated: true, outputTokens: 0 });
        expect(r.inputTokens).toBeGreaterThan(0);
        expect(r.finishedAt).not.toBeNull();
      }
      for (const r of retried.filter((row) => row.status === 'ERROR')) expect(r).toMatchObject({ inputTokens: 0, totalTokens: 0, usageEstimated: false });
      // The client aborts were estimated from what was produced; nothing is PENDING.
      for (const r of rows.filter((row) => row.status === 'CANCELLED')) expect(r).toMatchObject({ usageEstimated: true });
      expect(rows.filter((r) => r.status === 'PENDING')).toHaveLength(0);
      // The roll-up equals the ledger (PENDING -> final moved the sums, nothing counted twice).
      const daily = await db.prisma.usageDaily.groupBy({ by: ['status'], _sum: { requests: true, estimatedRequests: true } });
      const fromDaily = Object.fromEntries(daily.filter((d) => Number(d._sum.requests) > 0).map((d) => [d.status, Number(d._sum.requests)]));
      const fromRows: Record<string, number> = {};
      for (const r of rows) fromRows[r.status] = (fromRows[r.status] ?? 0) + 1;
      expect(fromDaily).toEqual(fromRows);
      expect(daily.reduce((a, d) => a + Number(d._sum.estimatedRequests), 0)).toBe(rows.filter((r) => r.usageEstimated).length);
    } finally {
      await db.close();
    }
  }, 240_000);
});
