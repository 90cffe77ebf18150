// The cost of a call: tokens x the model's price version in force, exactly, as a decimal string.
import type { Usage } from '../../upstream/types.ts';

export interface CallCost {
  /** Decimal string; null when the model has no price (never zero for "unknown"). */
  costUsd: string | null;
  priceVersionId: string | null;
}

export interface Pricing {
  costOf(model: string, usage: Usage, at: Date): CallCost;
}

export const NO_COST: CallCost = { costUsd: null, priceVersionId: null };
