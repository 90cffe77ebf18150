// The cost of a call: tokens x the model's price version in force, exactly, as a decimal string.
//
// Token categories (as src/upstream/formats/shared.ts normalizes all four wire formats):
// inputTokens excludes cache reads (cachedInputTokens) and cache writes (cacheWriteTokens);
// outputTokens includes reasoningTokens. So each input token is priced once in its own
// category, and output is split into reasoning (reasoningPerMTok, else the output price) and
// the rest (outputPerMTok). Missing cache prices fall back to the input price.
import { Prisma } from '../../db/index.ts';
import type { Usage } from '../../call-vocabulary.ts';

export interface CallCost {
  /** Decimal string; null when the model has no price (never zero for "unknown"). */
  costUsd: string | null;
  priceVersionId: string | null;
}

export interface Pricing {
  costOf(model: string, usage: Usage, at: Date): CallCost;
}

export const NO_COST: CallCost = { costUsd: null, priceVersionId: null };

/** Decimal places of a stored cost (UsageRecord.costUsd is DECIMAL(20, 10)). */
export const COST_SCALE = 10;

/** decimal.js with room for any token count x any price: no silent rounding before the last step. */
export const Dec = Prisma.Decimal.clone({ precision: 100, rounding: Prisma.Decimal.ROUND_HALF_UP });
export type Dec = InstanceType<typeof Dec>;

/** One price version of one model: USD per million tokens, decimal strings. */
export interface PriceVersion {
  id: string;
  model: string;
  version: number;
  effectiveFrom: Date;
  inputPerMTok: string;
  outputPerMTok: string;
  cachedInputPerMTok: string | null;
  cacheWritePerMTok: string | null;
  reasoningPerMTok: string | null;
  source: string;
  createdBy: string | null;
  createdAt: Date;
}

type CostUsage = Pick<Usage, 'inputTokens' | 'outputTokens' | 'cachedInputTokens' | 'cacheWriteTokens' | 'reasoningTokens'>;

/** The exact cost of `usage` at `price`, rounded half-up to COST_SCALE places, as a plain decimal string. */
export function costAt(price: PriceVersion, usage: CostUsage): string {
  const input = new Dec(price.inputPerMTok);
  const output = new Dec(price.outputPerMTok);
  const reasoning = Math.min(Math.max(usage.reasoningTokens, 0), usage.outputTokens);
  const perMillion = new Dec(usage.inputTokens)
    .times(input)
    .plus(new Dec(usage.cachedInputTokens).times(price.cachedInputPerMTok ?? input))
    .plus(new Dec(usage.cacheWriteTokens).times(price.cacheWritePerMTok ?? input))
    .plus(new Dec(usage.outputTokens - reasoning).times(output))
    .plus(new Dec(reasoning).times(price.reasoningPerMTok ?? output));
  return normalizeDecimal(perMillion.times('0.000001').toDecimalPlaces(COST_SCALE, Dec.ROUND_HALF_UP));
}

/** The same formula in SQL over a "UsageRecord" row, with the price's columns as $n::numeric parameters. */
export function costSql(p: { input: string; output: string; cachedInput: string; cacheWrite: string; reasoning: string }): string {
  const reasoning = `LEAST(GREATEST("reasoningTokens", 0), "outputTokens")`;
  return `round(("inputTokens" * ${p.input} + "cachedInputTokens" * ${p.cachedInput} + "cacheWriteTokens" * ${p.cacheWrite}`
    + ` + ("outputTokens" - ${reasoning}) * ${p.output} + ${reasoning} * ${p.reasoning}) * 0.000001, ${COST_SCALE})`;
}

/** A decimal as a plain string without trailing zeros ("1.2300000000" -> "1.23"). */
export function normalizeDecimal(value: { toString(): string } | string): string {
  return new Dec(typeof value === 'string' ? value : value.toString()).toFixed();
}
