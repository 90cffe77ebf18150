// Cloudflare as it is today, at the door and in the ledger: a cache hit costs 0 and shows in
// cacheHits / cacheSavedUsd; metadata must be at most 5 flat keys (else BAD_INPUT on the field
// metadata, before anything goes upstream); the 2026 error codes map and retry as specified;
// neurons are stored and priced for models priced per neuron. Real server, the simulator.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { neuronCostAt } from '../../src/domain/pricing/pricing.ts';
import { createUserWithKey, startTestServer, type TestServer } from '../helpers/server.ts';

let server: TestServer;
let user: { userId: string; key: string };
let start: Date;

beforeAll(async () => {
  server = await startTestServer({ UPSTREAM_MAX_RETRIES: '2' });
  user = await createUserWithKey(server, 'cache@example.com');
  start = new Date(Date.now() - 1000);
}, 60_000);

afterAll(async () => {
  await server?.close();
});

const sim = () => server.app.simulator!;
const prisma = () => server.app.db.prisma;
const GENERATE = `mutation($i: GenerateInput!) { generate(input: $i) { id servedModel cacheHit cacheStatus usage { costUsd totalTokens } } }`;
type Gen = { id: string; cacheHit: boolean; cacheStatus: string | null; usage: { costUsd: string | null; totalTokens: number } };

describe('cache hits', () => {
  it('a cache hit costs 0, keeps the usage Cloudflare reports, and shows in cacheHits / cacheSavedUsd (reports and reporting.usage)', async () => {
    const input = { model: 'openai/gpt-5.5', prompt: 'the same question twice', cache: { ttlSeconds: 300 } };
    const miss = await server.gql<{ generate: Gen }>(GENERATE, { i: input }, user.key);
    const hit = await server.gql<{ generate: Gen }>(GENERATE, { i: input }, user.key);
    expect(miss.data!.generate).toMatchObject({ cacheHit: false, cacheStatus: 'MISS' });
    expect(hit.data!.generate).toMatchObject({ cacheHit: true, cacheStatus: 'HIT', usage: { costUsd: '0' } });
    expect(hit.data!.generate.usage.totalTokens).toBe(miss.data!.generate.usage.totalTokens);
    const missCost = miss.data!.generate.usage.costUsd!;
    expect(Number(missCost)).toBeGreaterThan(0);

    const row = await prisma().usageRecord.findUniqueOrThrow({ where: { id: hit.data!.generate.id } });
    expect(row).toMatchObject({ cacheHit: true, cacheStatus: 'HIT' });
    expect(row.costUsd!.toFixed()).toBe('0');
    expect(row.cacheSavedUsd!.toFixed()).toBe(missCost);

    const report = await server.gql<{ usageReport: { totals: { requests: number; cacheHits: number; cacheSavedUsd: string | null; costUsd: string } } }>(
      `query($i: UsageReportInput!) { usageReport(input: $i) { totals { requests cacheHits cacheSavedUsd costUsd } } }`,
      { i: { from: start.toISOString(), to: new Date(Date.now() + 60_000).toISOString(), groupBy: [] } },
      user.key,
    );
    expect(report.data!.usageReport.totals).toEqual({ requests: 2, cacheHits: 1, cacheSavedUsd: missCost, costUsd: missCost });
    // Over whole UTC days the report reads the daily roll-up: the same figures.
    const DAY = 86_400_000;
    const days = await server.trpc(user.key).usage.report.query({ from: new Date(Math.floor(Date.now() / DAY) * DAY - DAY), to: new Date(Math.floor(Date.now() / DAY) * DAY + DAY), groupBy: ['MODEL'] });
    expect(days.totals).toMatchObject({ cacheHits: 1, cacheSavedUsd: missCost });
    const [sql] = await prisma().$queryRawUnsafe<Array<{ cache_hit: boolean; cache_saved_usd: string }>>(`SELECT cache_hit, trim_scale(cache_saved_usd)::text AS cache_saved_usd FROM reporting.usage WHERE id = $1::uuid`, row.id);
    expect(sql).toEqual({ cache_hit: true, cache_saved_usd: missCost });
  });
});

describe('metadata at the door', () => {
  const six = { a: 1, b: 2, c: 3, d: 4, e: 5, f: 6 };
  it.each([
    ['6 keys', six],
    ['a nested value', { app: 'billing', detail: { team: 'x' } }],
    ['a null value', { app: 'billing', owner: null }],
    ['an array value', { tags: ['a', 'b'] }],
    ['a reserved cf. key', { 'cf.user_id': 'me' }],
  ])('%s is BAD_INPUT on the field metadata (GraphQL and tRPC), and nothing goes upstream', async (_name, metadata) => {
    const before = sim().requests.length;
    const gql = await server.gql(GENERATE, { i: { model: 'openai/gpt-5.5', prompt: 'hi', metadata } }, user.key);
    expect(gql.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_INPUT', field: 'metadata' });
    await expect(server.trpc(user.key).generate.mutate({ model: 'openai/gpt-5.5', prompt: 'hi', metadata: metadata as Record<string, string> })).rejects.toMatchObject({
      data: { appCode: 'BAD_INPUT', field: 'metadata' },
    });
    expect(sim().requests.length).toBe(before);
  });

  it('5 flat keys pass and reach the gateway log whole', async () => {
    const metadata = { app: 'billing', n: 3, ok: true, d: 'x', e: 'y' };
    const gen = await server.trpc(user.key).generate.mutate({ model: 'openai/gpt-5.5', prompt: 'tagged', metadata });
    const log = sim().logs.all('default').find((l) => l.event_id === gen.id)!;
    expect(JSON.parse(log.metadata!)).toEqual(metadata);
  });
});

describe('upstream error codes', () => {
  const rowsOf = (callId: string) => prisma().usageRecord.findMany({ where: { callId }, orderBy: { attempt: 'asc' } });

  it('a spend-limit 429 (2045) is BUDGET_EXCEEDED with upstream: true, after exactly one attempt', async () => {
    const before = sim().requests.length;
    const res = await server.gql(GENERATE, { i: { model: 'openai/gpt-5.5', prompt: 'spend [[fault:spend_limit]]' } }, user.key);
    expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'BUDGET_EXCEEDED', upstream: true, upstreamStatus: 429, upstreamCode: 2045 });
    expect(sim().requests.length).toBe(before + 1);
    const [row] = await prisma().usageRecord.findMany({ where: { userId: user.userId, errorCode: 'BUDGET_EXCEEDED' } });
    expect(await rowsOf(row!.callId)).toHaveLength(1);
    await expect(server.trpc(user.key).generate.mutate({ model: 'openai/gpt-5.5', prompt: 'again [[fault:spend_limit]]' })).rejects.toMatchObject({ data: { appCode: 'BUDGET_EXCEEDED', upstream: true } });
  });

  it('a rate-limit 429 (2003) is retried after its retry-after, an attempt (a row) each', async () => {
    sim().injectFault({ type: 'rate_limit', retryAfterSeconds: 0.3 }, { times: 1 });
    const started = Date.now();
    const gen = await server.trpc(user.key).generate.mutate({ model: 'openai/gpt-5.5', prompt: 'rate limited once' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    const rows = await rowsOf((await prisma().usageRecord.findUniqueOrThrow({ where: { id: gen.id } })).callId);
    expect(rows.map((r) => [r.attempt, r.status, r.errorCode, r.upstreamStatus])).toEqual([
      [1, 'ERROR', 'RATE_LIMITED', 429],
      [2, 'OK', null, null],
    ]);
  });

  it('a provider-key rejection (2009) is UPSTREAM_ERROR naming it; byok_only too; neither is retried', async () => {
    const before = sim().requests.length;
    const key = await server.gql(GENERATE, { i: { model: 'openai/gpt-5.5', prompt: 'key [[fault:provider_key]]' } }, user.key);
    expect(key.errors?.[0]?.extensions).toMatchObject({ code: 'UPSTREAM_ERROR', upstreamStatus: 401, upstreamCode: 2009 });
    expect(key.errors?.[0]?.message).toMatch(/provider key/);
    const byok = await server.gql(GENERATE, { i: { model: 'openai/gpt-5.5', prompt: 'byok [[fault:byok_only]]' } }, user.key);
    expect(byok.errors?.[0]?.extensions).toMatchObject({ code: 'UPSTREAM_ERROR', upstreamStatus: 400 });
    expect(byok.errors?.[0]?.message).toMatch(/byok_only/);
    expect(sim().requests.length).toBe(before + 2);
  });

  it('ids are opaque: the UUIDv7 log id is stored as sent', async () => {
    const gen = await server.trpc(user.key).generate.mutate({ model: 'openai/gpt-5.5', prompt: 'which log' });
    const log = sim().logs.all('default').find((l) => l.event_id === gen.id)!;
    expect(gen.upstreamLogId).toBe(log.id);
    expect(log.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-/);
  });
});

describe('neurons', () => {
  it('a Workers AI reply carrying cf-ai-neurons: stored, and the cost of a model priced per neuron', async () => {
    const model = '@cf/meta/llama-3.1-8b-instruct';
    await server.trpc().admin.setModelPrice.mutate({ model, inputPerMTok: '0.282', outputPerMTok: '0.827', perThousandNeurons: '0.011', source: 'Workers AI: $0.011 per 1,000 neurons' });
    const gen = await server.trpc(user.key).generate.mutate({ model, prompt: 'count my neurons please' });
    const row = await prisma().usageRecord.findUniqueOrThrow({ where: { id: gen.id } });
    const sent = sim().requests.find((r) => r.headers['cf-aig-event-id'] === gen.id);
    expect(sent).toBeDefined();
    expect(row.neurons).not.toBeNull();
    const neurons = row.neurons!.toFixed();
    expect(Number(neurons)).toBeGreaterThan(0);
    expect(row.costUsd!.toFixed()).toBe(neuronCostAt('0.011', neurons));
    expect(gen.usage.costUsd).toBe(neuronCostAt('0.011', neurons));
    // A model priced per token ignores neurons: its cost is its tokens'.
    const tokens = await server.trpc(user.key).generate.mutate({ model: '@cf/moonshotai/kimi-k2.6', prompt: 'tokens only' });
    const tokenRow = await prisma().usageRecord.findUniqueOrThrow({ where: { id: tokens.id } });
    expect(tokenRow.neurons).not.toBeNull();
    expect(tokenRow.costUsd!.toFixed()).not.toBe(neuronCostAt('0.011', tokenRow.neurons!.toFixed()));
  });
});
