// Exponential backoff, the one schedule every retry loop uses (upstream retries, the ledger's
// retried writes, idempotency writes, webhook delivery): `baseMs` doubled per attempt, capped.

export interface Backoff {
  /** The wait before the first retry. */
  baseMs: number;
  /** The longest wait. */
  maxMs: number;
}

/** The wait before retry number `attempt` (0-based): baseMs · 2^attempt, never above maxMs. */
export function backoffDelay(attempt: number, { baseMs, maxMs }: Backoff): number {
  // The exponent is bounded so that a long outage's attempt count never overflows to Infinity/NaN.
  return Math.min(maxMs, baseMs * 2 ** Math.min(Math.max(attempt, 0), 30));
}
