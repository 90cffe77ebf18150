// The cost of a call: tokens x the model's price version in force, exactly, as a decimal string.
//
// Token categories (as src/upstream/formats/shared.ts normalizes all four wire formats):
// inputTokens excludes cache reads (cachedInputTokens) and cache writes (cacheWriteTokens);
// outputTokens includes reasoningTokens. So each input token is priced once in its own
// category, and output is split into reasoning (reasoningPerMTok, else the output price) and
// the rest (outputPerMTok). Missing cache prices fall back to the input price.
import { Prisma } from '../../db/index.ts';
import type { BilledUnits, Usage } from '../../upstream/call-vocabulary.ts';
import { hasUnits, unitCostTerms } from './unit-prices.ts';

export interface CallCost {
  /** Decimal string; null when the model has no price (never zero for "unknown"). */
  costUsd: string | null;
  priceVersionId: string | null;
}

export interface Pricing {
  /**
   * The cost of `usage` at the model's price in force at `at`. `units`: what a non-text call was billed
   * on besides tokens (images, tiles, steps, audio, characters); `neurons`: Workers AI's cf-ai-neurons
   * (a decimal string), the cost of a model priced per neuron when known.
   */
  costOf(model: string, usage: Usage, at: Date, units?: BilledUnits, neurons?: string | null): CallCost;
  /** The text models with a price: what a route (dynamic/<route>, cloudflare/auto) may pick, for its bound. */
  pricedTextModels?(): readonly string[];
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
  /** Per-unit prices of non-text models (USD per 512x512 tile, per step, per audio minute, per 1,000 characters); absent or null: none. */
  perImageTile?: string | null;
  perImageStep?: string | null;
  perAudioMinute?: string | null;
  perThousandChars?: string | null;
  /** USD per 1,000 neurons (Workers AI); null: not priced per neuron. */
  perThousandNeurons?: string | null;
  source: string;
  createdBy: string | null;
  createdAt: Date;
}

type CostUsage = Pick<Usage, 'inputTokens' | 'outputTokens' | 'cachedInputTokens' | 'cacheWriteTokens' | 'reasoningTokens'>;

/** A decimal string as an integer and its count of fraction digits: "1.25" -> [125n, 2]. */
function fixedPoint(decimal: string): [bigint, number] {
  const m = /^(-?)(\d+)(?:\.(\d*))?$/.exec(decimal);
  if (!m) return fixedPoint(new Dec(decimal).toFixed()); // exponent notation ("1e-7")
  const fraction = m[3] ?? '';
  return [BigInt(`${m[1]}${m[2]}${fraction}`), fraction.length];
}

/**
 * The exact cost of `usage` at `price`, rounded half-up (away from zero) to COST_SCALE places, as
 * a plain decimal string. Exact integer arithmetic: prices as integers at their largest number of
 * fraction digits, times token counts, summed, then one rounding.
 */
export function costAt(price: PriceVersion, usage: CostUsage, units?: BilledUnits): string {
  if (units && hasUnits(units)) return costWithUnits(price, usage, units);
  const reasoning = Math.min(Math.max(usage.reasoningTokens, 0), usage.outputTokens);
  const terms: Array<[number, string]> = [
    [usage.inputTokens, price.inputPerMTok],
    [usage.cachedInputTokens, price.cachedInputPerMTok ?? price.inputPerMTok],
    [usage.cacheWriteTokens, price.cacheWritePerMTok ?? price.inputPerMTok],
    [usage.outputTokens - reasoning, price.outputPerMTok],
    [reasoning, price.reasoningPerMTok ?? price.outputPerMTok],
  ];
  const prices = terms.map(([, p]) => fixedPoint(p));
  const scale = Math.max(...prices.map(([, digits]) => digits));
  let sum = 0n;
  terms.forEach(([tokens], i) => {
    const [units, digits] = prices[i]!;
    sum += BigInt(tokens) * units * 10n ** BigInt(scale - digits);
  });
  // sum is in 10^-(scale + 6) USD (a price per million tokens).
  return plainDecimal(toCostScale(sum, scale + 6), COST_SCALE);
}

/** An integer in 10^-digits USD rounded half-up (away from zero) to 10^-COST_SCALE. */
function toCostScale(value: bigint, digits: number): bigint {
  const shift = digits - COST_SCALE;
  if (shift < 0) return value * 10n ** BigInt(-shift);
  if (shift === 0) return value;
  const divisor = 10n ** BigInt(shift);
  const magnitude = value < 0n ? -value : value;
  const rounded = (magnitude + divisor / 2n) / divisor;
  return value < 0n ? -rounded : rounded;
}

/** neurons x USD per 1,000 neurons, exactly, rounded half-up to COST_SCALE places. */
export function neuronCostAt(perThousandNeurons: string, neurons: string): string {
  const [priceUnits, priceDigits] = fixedPoint(perThousandNeurons);
  const [neuronUnits, neuronDigits] = fixedPoint(neurons);
  // The product is in 10^-(priceDigits + neuronDigits + 3) USD (a price per thousand).
  return plainDecimal(toCostScale(priceUnits * neuronUnits, priceDigits + neuronDigits + 3), COST_SCALE);
}

/**
 * Tokens and per-unit terms together, exactly: every term is a fraction count × price / divisor
 * (10^6 tokens, 1 tile or step, 60,000 audio milliseconds, 1,000 characters) summed over one
 * common denominator, then one half-up rounding to COST_SCALE places.
 */
function costWithUnits(price: PriceVersion, usage: CostUsage, units: BilledUnits): string {
  const reasoning = Math.min(Math.max(usage.reasoningTokens, 0), usage.outputTokens);
  const terms: Array<[bigint, string, bigint]> = [
    [BigInt(usage.inputTokens), price.inputPerMTok, 1_000_000n],
    [BigInt(usage.cachedInputTokens), price.cachedInputPerMTok ?? price.inputPerMTok, 1_000_000n],
    [BigInt(usage.cacheWriteTokens), price.cacheWritePerMTok ?? price.inputPerMTok, 1_000_000n],
    [BigInt(usage.outputTokens - reasoning), price.outputPerMTok, 1_000_000n],
    [BigInt(reasoning), price.reasoningPerMTok ?? price.outputPerMTok, 1_000_000n],
    ...unitCostTerms(price, units),
  ];
  const prices = terms.map(([, p]) => fixedPoint(p));
  const scale = Math.max(...prices.map(([, digits]) => digits));
  // Common denominator: 10^scale (prices as integers) × the least common multiple of the divisors.
  const lcm = terms.reduce((acc, [, , d]) => (acc * d) / gcd(acc, d), 1n);
  let sum = 0n;
  terms.forEach(([count], i) => {
    const [integer, digits] = prices[i]!;
    sum += count * integer * 10n ** BigInt(scale - digits) * (lcm / terms[i]![2]);
  });
  const denominator = 10n ** BigInt(scale) * lcm;
  const numerator = sum * 10n ** BigInt(COST_SCALE);
  const magnitude = numerator < 0n ? -numerator : numerator;
  const rounded = (2n * magnitude + denominator) / (2n * denominator);
  return plainDecimal(numerator < 0n ? -rounded : rounded, COST_SCALE);
}

const gcd = (a: bigint, b: bigint): bigint => (b === 0n ? a : gcd(b, a % b));

/** An integer in 10^-digits as a plain decimal string without trailing zeros. */
function plainDecimal(value: bigint, digits: number): string {
  const sign = value < 0n ? '-' : '';
  const text = (value < 0n ? -value : value).toString().padStart(digits + 1, '0');
  const fraction = text.slice(-digits).replace(/0+$/, '');
  const whole = text.slice(0, -digits);
  return `${sign}${whole}${fraction ? `.${fraction}` : ''}`;
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
