// Pricing: cost = tokens x the recorded price version, exactly (decimal), per category; new
// versions apply from their effective date; re-pricing a range is exact and audited; no price
// means a null cost, never zero.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { costAt, Dec, type PriceVersion } from '../../src/domain/pricing/pricing.ts';
import { createUserWithKey, startTestServer, type TestServer } from '../helpers/server.ts';
import { trpcCode } from '../helpers/errors.ts';

const KIMI = '@cf/moonshotai/kimi-k2.6';
/** A model the price list does not know: reachable, but without a price. */
const UNPRICED = 'mistral/mistral-large-3';

/** Independent reference: prices as integers of 1e-10 USD per MTok, BigInt sums, half-up to 1e-10 USD. */
function referenceCost(p: Pick<PriceVersion, 'inputPerMTok' | 'outputPerMTok' | 'cachedInputPerMTok' | 'cacheWritePerMTok' | 'reasoningPerMTok'>, u: { inputTokens: number; outputTokens: number; cachedInputTokens: number; cacheWriteTokens: number; reasoningTokens: number }): string {
  const units = (s: string) => {
    const [int, frac = ''] = s.split('.');
    return BigInt(int!) * 10n ** 10n + BigInt((frac + '0000000000').slice(0, 10));
  };
  const input = units(p.inputPerMTok);
  const output = units(p.outputPerMTok);
  const reasoning = BigInt(Math.min(u.reasoningTokens, u.outputTokens));
  const total =
    BigInt(u.inputTokens) * input +
    BigInt(u.cachedInputTokens) * (p.cachedInputPerMTok ? units(p.cachedInputPerMTok) : input) +
    BigInt(u.cacheWriteTokens) * (p.cacheWritePerMTok ? units(p.cacheWritePerMTok) : input) +
    (BigInt(u.outputTokens) - reasoning) * output +
    reasoning * (p.reasoningPerMTok ? units(p.reasoningPerMTok) : output);
  // total is in 1e-16 USD (1e-10 per MTok = 1e-16 per token); round half up to 1e-10 USD
  const q = (total + 500_000n) / 1_000_000n;
  const s = q.toString().padStart(11, '0');
  const out = `${s.slice(0, -10)}.${s.slice(-10)}`.replace(/0+$/, '').replace(/\.$/, '');
  return out;
}

const decimal = fc.tuple(fc.integer({ min: 0, max: 999_999 }), fc.integer({ min: 0, max: 9_999_999_999 })).map(([i, f]) => `${i}.${String(f).padStart(10, '0')}`);
const tokens = fc.integer({ min: 0, max: 50_000_000 });

describe('costAt (pure)', () => {
  it('equals the BigInt reference for any prices and token counts', () => {
    fc.assert(
      fc.property(decimal, decimal, fc.option(decimal, { nil: null }), fc.option(decimal, { nil: null }), fc.option(decimal, { nil: null }), tokens, tokens, tokens, tokens, tokens, (ip, op, cp, wp, rp, i, o, c, w, r) => {
        const price = { inputPerMTok: ip, outputPerMTok: op, cachedInputPerMTok: cp, cacheWritePerMTok: wp, reasoningPerMTok: rp };
        const usage = { inputTokens: i, outputTokens: o, cachedInputTokens: c, cacheWriteTokens: w, reasoningTokens: r };
        expect(costAt(price as PriceVersion, usage)).toBe(referenceCost(price, usage));
      }),
      { numRuns: 300 },
    );
  });

  it('equals decimal.js arithmetic for prices with any number of fraction digits, in plain or exponent notation', () => {
    const anyDecimal = fc.oneof(
      fc.tuple(fc.integer({ min: 0, max: 9_999 }), fc.integer({ min: 0, max: 99_999_999 }), fc.integer({ min: 0, max: 14 })).map(([i, f, d]) => (d === 0 ? String(i) : `${i}.${String(f).padStart(d, '0').slice(0, d)}`)),
      fc.integer({ min: 1, max: 999 }).map((m) => `${m}e-7`),
    );
    fc.assert(
      fc.property(anyDecimal, anyDecimal, fc.option(anyDecimal, { nil: null }), tokens, tokens, tokens, (ip, op, cp, i, o, c) => {
        const price = { inputPerMTok: ip, outputPerMTok: op, cachedInputPerMTok: cp, cacheWritePerMTok: null, reasoningPerMTok: null } as PriceVersion;
        const usage = { inputTokens: i, outputTokens: o, cachedInputTokens: c, cacheWriteTokens: 0, reasoningTokens: 0 };
        const expected = new Dec(i).times(ip).plus(new Dec(c).times(cp ?? ip)).plus(new Dec(o).times(op)).times('0.000001').toDecimalPlaces(10, Dec.ROUND_HALF_UP).toFixed();
        expect(costAt(price, usage)).toBe(new Dec(expected).toFixed());
      }),
      { numRuns: 300 },
    );
  });

  it('prices each category once: the documented example', () => {
    const price = { inputPerMTok: '0.95', outputPerMTok: '4', cachedInputPerMTok: '0.16', cacheWritePerMTok: null, reasoningPerMTok: null } as PriceVersion;
    // 1M uncached in, 1M cached in, 1M out of which 0.5M reasoning (billed at the output price)
    expect(costAt(price, { inputTokens: 1e6, cachedInputTokens: 1e6, cacheWriteTokens: 0, outputTokens: 1e6, reasoningTokens: 5e5 })).toBe('5.11');
  });
});

let server: TestServer;
let user: { userId: string; key: string };
beforeAll(async () => {
  server = await startTestServer();
  user = await createUserWithKey(server, 'payer@example.com');
});
afterAll(async () => {
  await server?.close();
});

describe('pricing through the real stack', () => {
  it('models lists known models with their API and the seeded price (version 1, source named)', async () => {
    const models = await server.trpc(user.key).models.query();
    const kimi = models.find((m) => m.id === KIMI)!;
    expect(kimi).toMatchObject({ provider: 'workers-ai', api: 'CHAT_COMPLETIONS' });
    expect(kimi.price).toMatchObject({ version: 1, inputPerMTok: '0.95', cachedInputPerMTok: '0.16', outputPerMTok: '4' });
    expect(kimi.price!.source).toMatch(/@pydantic\/genai-prices .*cloudflare.*workers-ai\/platform\/pricing/);
    const claude = models.find((m) => m.id === 'anthropic/claude-sonnet-4-5')!;
    expect(claude).toMatchObject({ provider: 'anthropic', api: 'MESSAGES', price: { inputPerMTok: '3', cacheWritePerMTok: '3.75', cachedInputPerMTok: '0.3', outputPerMTok: '15' } });
    const gql = await server.gql<{ models: Array<{ id: string; prices: { version: number } | null }> }>('{ models { id provider api prices { version inputPerMTok } } }', {}, user.key);
    expect(gql.data!.models.find((m) => m.id === KIMI)!.prices!.version).toBe(1);
  });

  it('a call records cost = tokens x the recorded version, exactly; an unpriced model costs null', async () => {
    const client = server.trpc(user.key);
    const g = await client.generate.mutate({ model: KIMI, prompt: 'price me please' });
    const row = await server.app.db.prisma.usageRecord.findUniqueOrThrow({ where: { id: g.id } });
    const version = await server.app.db.prisma.modelPrice.findUniqueOrThrow({ where: { id: row.priceVersionId! } });
    expect(version).toMatchObject({ model: KIMI, version: 1 });
    const expected = referenceCost(
      { inputPerMTok: version.inputPerMTok.toString(), outputPerMTok: version.outputPerMTok.toString(), cachedInputPerMTok: version.cachedInputPerMTok?.toString() ?? null, cacheWritePerMTok: null, reasoningPerMTok: null },
      row,
    );
    expect(g.usage.totalTokens).toBeGreaterThan(0);
    expect(g.usage.costUsd).toBe(expected);
    // The stored decimal, exactly (a string compare: no float in between).
    expect(row.costUsd!.toFixed()).toBe(expected);
    expect(expected).toMatch(/^\d+\.\d*[1-9]$/);

    const unpriced = await client.generate.mutate({ model: UNPRICED, prompt: 'no price here' });
    expect(unpriced.usage.costUsd).toBeNull();
    const unpricedRow = await server.app.db.prisma.usageRecord.findUniqueOrThrow({ where: { id: unpriced.id } });
    expect(unpricedRow.costUsd).toBeNull();
    expect(unpricedRow.priceVersionId).toBeNull();
  });

  it('setModelPrice adds a version used from its effective date; users may not', async () => {
    expect(await trpcCode(server.trpc(user.key).admin.setModelPrice.mutate({ model: KIMI, inputPerMTok: '1', outputPerMTok: '1' }))).toBe('FORBIDDEN');
    expect(await trpcCode(server.trpc().admin.setModelPrice.mutate({ model: KIMI, inputPerMTok: '-1', outputPerMTok: '1' }))).toBe('BAD_INPUT');
    const v2 = await server.trpc().admin.setModelPrice.mutate({
      model: KIMI,
      inputPerMTok: '1.2345678901',
      outputPerMTok: '7.5',
      cachedInputPerMTok: '0.2',
      reasoningPerMTok: '9.25',
      source: 'test contract',
    });
    expect(v2).toMatchObject({ version: 2, inputPerMTok: '1.2345678901', reasoningPerMTok: '9.25', cacheWritePerMTok: null });
    const g = await server.trpc(user.key).generate.mutate({ model: KIMI, prompt: 'price me again' });
    const row = await server.app.db.prisma.usageRecord.findUniqueOrThrow({ where: { id: g.id } });
    expect(row.priceVersionId).toBe(v2.id);
    expect(g.usage.costUsd).toBe(referenceCost(v2, row));
    // an admin-added version for a model with no price makes it priced
    const gpt = await server.trpc().admin.setModelPrice.mutate({ model: UNPRICED, inputPerMTok: '1.25', outputPerMTok: '10' });
    expect(gpt.version).toBe(1);
  });

  it('repriceUsage re-costs a range exactly with the given version, audited; reports follow', async () => {
    const prisma = server.app.db.prisma;
    const from = new Date(Date.now() - 3_600_000);
    const to = new Date(Date.now() + 1000);
    const v3 = await server.trpc().admin.setModelPrice.mutate({ model: KIMI, inputPerMTok: '0.3333333333', outputPerMTok: '2.7182818284', cacheWritePerMTok: '1.1', effectiveFrom: new Date(Date.now() + 86_400_000) });
    const before = await prisma.usageRecord.findMany({ where: { requestedModel: KIMI, createdAt: { gte: from, lt: to } } });
    expect(before.length).toBeGreaterThanOrEqual(2);
    expect(await trpcCode(server.trpc(user.key).admin.repriceUsage.mutate({ priceVersionId: v3.id, from, to }))).toBe('FORBIDDEN');
    const result = await server.trpc().admin.repriceUsage.mutate({ priceVersionId: v3.id, from, to });
    expect(result.rowsRepriced).toBe(before.length);
    const after = await prisma.usageRecord.findMany({ where: { requestedModel: KIMI, createdAt: { gte: from, lt: to } } });
    for (const row of after) {
      expect(row.priceVersionId).toBe(v3.id);
      expect(row.costUsd!.toFixed()).toBe(referenceCost(v3, row));
    }
    const sum = (rows: typeof after) => rows.reduce((a, r) => a.plus(r.costUsd ?? 0), new (before[0]!.costUsd!.constructor as typeof import('../../src/db/index.ts').Prisma.Decimal)(0));
    expect(result.previousCostUsd).toBe(sum(before).toFixed());
    expect(result.newCostUsd).toBe(sum(after).toFixed());
    const run = await prisma.repriceRun.findUniqueOrThrow({ where: { id: result.id } });
    expect(run).toMatchObject({ priceVersionId: v3.id, rowsRepriced: before.length, byUserId: '00000000-0000-7000-8000-000000000001' });
    // the roll-up followed the update: a whole-day report equals the ledger's sum
    const dayFrom = new Date(Math.floor(Date.now() / 86_400_000 - 1) * 86_400_000);
    const dayTo = new Date(dayFrom.getTime() + 3 * 86_400_000);
    const report = await server.trpc().usage.report.query({ from: dayFrom, to: dayTo, groupBy: ['MODEL'], allUsers: true, model: KIMI });
    const all = await prisma.usageRecord.findMany({ where: { requestedModel: KIMI } });
    expect(report.totals.costUsd).toBe(sum(all).toFixed());
    expect(await trpcCode(server.trpc().admin.repriceUsage.mutate({ priceVersionId: '00000000-0000-7000-8000-00000000dead', from, to }))).toBe('NOT_FOUND');
  });
});
