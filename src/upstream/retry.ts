// Retry policy: only before any byte reached the caller, on 429/502/503/504 and connection
// errors, bounded, full-jitter exponential backoff that never undercuts `retry-after`.
import { backoffDelay } from '../platform/backoff.ts';
import type { UpstreamError } from './errors.ts';

export interface RetryPolicy {
  maxRetries: number;
  baseDelayMs: number;
  /** A retry-after longer than this is not waited for: the error goes to the caller instead. */
  maxDelayMs: number;
}

/** The delay before retry number `attempt` (0-based), or undefined when the error must not be retried. */
export function retryDelay(error: UpstreamError, attempt: number, policy: RetryPolicy, random = Math.random): number | undefined {
  if (!error.retryable || attempt >= policy.maxRetries) return undefined;
  if (error.retryAfterMs !== undefined && error.retryAfterMs > policy.maxDelayMs) return undefined;
  const ceiling = backoffDelay(attempt, { baseMs: policy.baseDelayMs, maxMs: policy.maxDelayMs });
  const jittered = Math.round(random() * ceiling);
  return Math.max(jittered, error.retryAfterMs ?? 0);
}

/** Waits `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
