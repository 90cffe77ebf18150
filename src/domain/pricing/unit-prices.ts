// Per-unit prices of non-text models (workers-ai-modalities.md §6): USD per 512x512 image tile,
// per diffusion step, per audio minute and per 1,000 characters, beside the token prices of the
// same price version (embeddings are priced per million input tokens like text).
import type { BilledUnits } from '../../upstream/call-vocabulary.ts';

export interface UnitPrices {
  perImageTile?: string | null;
  perImageStep?: string | null;
  perAudioMinute?: string | null;
  perThousandChars?: string | null;
}

export const hasUnits = (u: BilledUnits): boolean => u.imageTiles > 0 || u.imageSteps > 0 || u.audioSeconds > 0 || u.characters > 0;

/** Audio is billed to the millisecond: seconds with 3 decimals as an exact integer. */
export const audioMilliseconds = (seconds: number): bigint => BigInt(Math.round(seconds * 1000));

/** The unit terms of a cost: [count, USD price as a decimal string, what the price is per]. A unit without a price costs nothing. */
export function unitCostTerms(price: UnitPrices, u: BilledUnits): Array<[bigint, string, bigint]> {
  const terms: Array<[bigint, string, bigint]> = [];
  if (price.perImageTile) terms.push([BigInt(u.imageTiles), price.perImageTile, 1n]);
  if (price.perImageStep) terms.push([BigInt(u.imageSteps), price.perImageStep, 1n]);
  if (price.perAudioMinute) terms.push([audioMilliseconds(u.audioSeconds), price.perAudioMinute, 60_000n]);
  if (price.perThousandChars) terms.push([BigInt(u.characters), price.perThousandChars, 1_000n]);
  return terms;
}
