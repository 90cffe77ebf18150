// The budget invariant, searched for (fast-check, seeded: BUDGET_PROPERTY_SEED; the seed is
// printed on failure): for any burst of concurrent calls with any text (dense one-letter words,
// multi-byte text, arbitrary graphemes) and any maxTokens (or none), under a token or a USD
// limit, the usage settled in the ledger never exceeds the limit. Checked with the in-process
// store, with Redis, and (PostgreSQL) on two instances sharing one database and one Redis.
// Calls go to the simulator, whose token counts are exact (a token per word, a word of n
// UTF-16 units ceil(n / 4) tokens); the same text costs a tokenizer no more than its bytes.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outputCapFor } from '../../src/domain/generation/output-caps.ts';
import { generateInput } from '../../src/domain/generation/schemas.ts';
import { usdToUnits, unitsToUsd } from '../../src/domain/limits/money.ts';
import { inputTokenBound, worstCaseCost } from '../../src/domain/limits/reservation-bound.ts';
import { loadPriceFile } from '../../src/domain/pricing/price-file.ts';
import { costAt, type PriceVersion, type Pricing } from '../../src/domain/pricing/pricing.ts';
import { uuidv7 } from '../../src/platform/ids.ts';
import { AppError } from '../../src/platform/errors.ts';
import { CLUSTER_ADMIN_KEY, startCluster, type Cluster } from '../helpers/processes.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { deleteRedisKeys, postTrpc, REDIS_URL, uniquePrefix } from './helpers.ts';

const SEED = Number(process.env.BUDGET_PROPERTY_SEED ?? 20_261_207);
/** Plain input (RUN), and one with a cache-write premium (MESSAGES: cache reads and writes). */
const MODELS = ['@cf/moonshotai/kimi-k2.6', 'anthropic/claude-haiku-4-5'] as const;
const API = { '@cf/moonshotai/kimi-k2.6': 'RUN', 'anthropic/claude-haiku-4-5': 'MESSAGES' } as const;

// ---- generators -----------------------------------------------------------------------------

const LETTERS = 'abcdefghijklmnopqrstuvwxyz';
const dense = fc.integer({ min: 1, max: 1_200 }).map((n) => Array.from({ length: n }, (_, i) => LETTERS[(i * 7) % 26]).join(' '));
const multiByte = fc.array(fc.constantFrom('ü', '€', '😀', '中文', 'Ωμέγα', '👩‍👩‍👧', 'ñandú', '𝔘𝔫𝔦', 'a'), { minLength: 1, maxLength: 500 }).map((parts) => parts.join(' '));
const words = fc.array(fc.stringMatching(/^[a-z]{1,14}$/), { minLength: 1, maxLength: 400 }).map((w) => w.join(' '));
const graphemes = fc
  .string({ unit: 'grapheme', minLength: 1, maxLength: 300 })
  .filter((s) => s.trim() !== '' && !/[\u0000-\u001f\u007f-\u009f]|\[\[|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s));
const text = fc.oneof(dense, multiByte, words, graphemes);

interface CallShape {
  model: (typeof MODELS)[number];
  prompt: string;
  system?: string;
  maxTokens?: number;
}
const callShape: fc.Arbitrary<CallShape> = fc.record(
  {
    model: fc.constantFrom(...MODELS),
    prompt: text,
    system: fc.oneof(words, multiByte),
    maxTokens: fc.integer({ min: 1, max: 64 }),
  },
  { requiredKeys: ['model', 'prompt'] },
);

interface Burst {
  size: number;
  shapes: CallShape[];
  limit: 'tokens' | 'usd';
  /** The limit, as this many of the burst's cheapest upper bounds (plus a remainder). */
  room: number;
}
const burst = (maxSize: number): fc.Arbitrary<Burst> =>
  fc.record({
    size: fc.integer({ min: 10, max: maxSize }),
    shapes: fc.array(callShape, { minLength: 1, maxLength: 6 }),
    limit: fc.constantFrom('tokens' as const, 'usd' as const),
    room: fc.double({ min: 1, max: 12, noNaN: true }),
  });

// ---- the bounds the test sizes its limits with ------------------------------------------------

const priceFile = loadPriceFile();
const pricing: Pricing = {
  costOf(model, usage) {
    const entry = priceFile.models.find((m) => m.model === model);
    if (!entry?.price) return { costUsd: null, priceVersionId: null };
    const version: PriceVersion = { id: 'v', model, version: 1, effectiveFrom: new Date(0), source: 's', createdBy: null, createdAt: new Date(0), ...entry.price };
    return { costUsd: costAt(version, usage), priceVersionId: 'v' };
  },
};

function boundOf(shape: CallShape): { tokens: number; units: bigint } {
  const input = inputTokenBound({ system: shape.system, messages: [{ role: 'user', content: shape.prompt }] });
  const output = shape.maxTokens ?? outputCapFor(shape.model, API[shape.model], undefined);
  const cost = worstCaseCost(pricing, shape.model, input, output, new Date()).costUsd;
  return { tokens: input + output, units: usdToUnits(cost!) };
}

/** The limit for a burst: `room` times its cheapest call's upper bound. */
function limitOf(b: Burst): { tokensPerDay: number | null; monthlyBudgetUsd: string | null } {
  const cheapest = b.shapes.map(boundOf).reduce((a, c) => (b.limit === 'tokens' ? (c.tokens < a.tokens ? c : a) : c.units < a.units ? c : a));
  if (b.limit === 'tokens') return { tokensPerDay: Math.floor(cheapest.tokens * b.room), monthlyBudgetUsd: null };
  // The column keeps 6 decimal places: round down, so the limit never grows.
  const units = (BigInt(Math.floor(Number(cheapest.units) * b.room)) / 10_000n) * 10_000n;
  return { tokensPerDay: null, monthlyBudgetUsd: unitsToUsd(units > 0n ? units : 10_000n) };
}

const inputOf = (s: CallShape) => ({ model: s.model, prompt: s.prompt, ...(s.system !== undefined && { system: s.system }), ...(s.maxTokens !== undefined && { maxTokens: s.maxTokens }) });

// ---- the invariant ---------------------------------------------------------------------------

interface Settled {
  /** Tokens per UTC day of the user's rows. */
  tokensByDay: number[];
  units: bigint;
  rows: number;
}

function check(b: Burst, limit: ReturnType<typeof limitOf>, settled: Settled, codes: string[], tally: Tally): void {
  // RATE_LIMITED / UNAVAILABLE: the limit store or a pool could not take the call now (a loaded machine).
  for (const code of codes) if (code !== 'BUDGET_EXCEEDED' && code !== 'RATE_LIMITED' && code !== 'UNAVAILABLE') throw new Error(`unexpected refusal ${code}`);
  tally.bursts++;
  tally.admitted += b.size - codes.length;
  tally.refused += codes.length;
  if (settled.rows !== b.size - codes.length) throw new Error(`${settled.rows} rows for ${b.size - codes.length} admitted calls`);
  if (limit.tokensPerDay !== null) for (const t of settled.tokensByDay) if (t > limit.tokensPerDay) throw new Error(`settled ${t} tokens over the limit of ${limit.tokensPerDay}`);
  if (limit.monthlyBudgetUsd !== null && settled.units > usdToUnits(limit.monthlyBudgetUsd)) {
    throw new Error(`settled $${unitsToUsd(settled.units)} over the budget of $${limit.monthlyBudgetUsd}`);
  }
}

interface Tally {
  bursts: number;
  admitted: number;
  refused: number;
}

const SETTLED_SQL = `SELECT coalesce(json_agg(t)::text, '[]') AS "byDay", (SELECT coalesce(sum("costUsd"), 0)::text FROM "UsageRecord" WHERE "userId" = $1::uuid) AS "usd",
                            (SELECT count(*)::int FROM "UsageRecord" WHERE "userId" = $1::uuid) AS "rows"
                     FROM (SELECT sum("totalTokens")::int AS t FROM "UsageRecord" WHERE "userId" = $1::uuid GROUP BY date_trunc('day', "createdAt" AT TIME ZONE 'UTC')) d`;
const toSettled = (r: { byDay: string; usd: string; rows: number }): Settled => ({ tokensByDay: JSON.parse(r.byDay) as number[], units: usdToUnits(r.usd), rows: Number(r.rows) });

// ---- one process: both limit stores -----------------------------------------------------------

const prefix = uniquePrefix();
afterAll(() => deleteRedisKeys(prefix));

describe.each([
  ['in-process', {}],
  ['redis', { REDIS_URL, REDIS_KEY_PREFIX: prefix }],
])('budget invariant, %s store', (name, env) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(env);
  });
  afterAll(() => server?.close());

  it('50 random bursts (10-200 concurrent calls): settled usage never exceeds a token or USD limit', async () => {
    const tally: Tally = { bursts: 0, admitted: 0, refused: 0 };
    const prisma = server.app.db.prisma;
    await fc.assert(
      fc.asyncProperty(burst(200), async (b) => {
        const limit = limitOf(b);
        const user = await prisma.user.create({ data: { id: uuidv7(), email: `burst-${uuidv7()}@example.com`, role: 'USER', ...limit } });
        const principal = { userId: user.id, role: 'USER' as const };
        const inputs = b.shapes.map((s) => generateInput.parse(inputOf(s)));
        const results = await Promise.allSettled(Array.from({ length: b.size }, (_, i) => server.app.services.generation.generate(principal, inputs[i % inputs.length]!, { transport: 'test' })));
        const codes = results.flatMap((r) => (r.status === 'fulfilled' ? [] : [r.reason instanceof AppError ? r.reason.code : String(r.reason)]));
        const [row] = await prisma.$queryRawUnsafe<Array<{ byDay: string; usd: string; rows: number }>>(SETTLED_SQL, user.id);
        check(b, limit, toSettled(row!), codes, tally);
      }),
      { numRuns: 50, seed: SEED + (name === 'redis' ? 1 : 0), endOnFailure: true },
    );
    // The search was not vacuous: calls were admitted and calls were refused.
    expect(tally.bursts).toBe(50);
    expect(tally.admitted).toBeGreaterThan(50);
    expect(tally.refused).toBeGreaterThan(tally.bursts * 5);
  }, 180_000);
});

// ---- two instances on one PostgreSQL database and one Redis -----------------------------------

describe.skipIf(!process.env.DATABASE_URL)('budget invariant, two instances (PostgreSQL + Redis)', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await startCluster({ redisUrl: REDIS_URL, env: { AUTH_CACHE_TTL_MS: '30000' } });
  }, 90_000);
  afterAll(async () => {
    await cluster?.close();
    if (cluster) await deleteRedisKeys(cluster.redisKeyPrefix);
  });

  it('50 random bursts (10-200 concurrent calls) spread over both instances: settled usage never exceeds a token or USD limit', async () => {
    const tally: Tally = { bursts: 0, admitted: 0, refused: 0 };
    const [a] = cluster.instances;
    // Up to 200 at once over the two instances: a pool that cannot take a call answers it
    // UNAVAILABLE (retryable), never lets it through unrecorded.
    const runs = 50;
    await fc.assert(
      fc.asyncProperty(burst(200), async (b) => {
        const limit = limitOf(b);
        const user = await postTrpc<{ id: string }>(a!.url, CLUSTER_ADMIN_KEY, 'admin.createUser', { email: `burst-${uuidv7()}@example.com`, role: 'USER' });
        if (!user.ok) throw new Error(JSON.stringify(user.error));
        await cluster.sql('UPDATE "User" SET "tokensPerDay" = $2, "monthlyBudgetUsd" = $3 WHERE id = $1', [user.data.id, limit.tokensPerDay, limit.monthlyBudgetUsd]);
        const created = await postTrpc<{ secret: string }>(a!.url, CLUSTER_ADMIN_KEY, 'admin.createApiKey', { userId: user.data.id, name: 'burst' });
        if (!created.ok) throw new Error(JSON.stringify(created.error));
        const results = await Promise.all(
          Array.from({ length: b.size }, (_, i) => postTrpc(cluster.instances[i % 2]!.url, created.data.secret, 'generate', inputOf(b.shapes[i % b.shapes.length]!))),
        );
        const codes = results.flatMap((r) => (r.ok ? [] : [r.error.data.appCode]));
        const [row] = await cluster.sql<{ byDay: string; usd: string; rows: number }>(SETTLED_SQL, [user.data.id]);
        check(b, limit, toSettled(row!), codes, tally);
      }),
      { numRuns: runs, seed: SEED + 2, endOnFailure: true },
    );
    expect(tally.bursts).toBe(runs);
    expect(tally.admitted).toBeGreaterThan(runs);
    expect(tally.refused).toBeGreaterThan(runs * 5);
  }, 240_000);
});
