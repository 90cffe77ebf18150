// Where limit counters live: in this process (no REDIS_URL) or in Redis, shared by every
// instance. Both keep the same books per user: requests in the last 60 s (sliding window),
// tokens per UTC day and spend per UTC calendar month, each counting settled usage plus the
// worst case of calls in flight (reservations). A reservation lapses after its ttl, so a
// crashed instance's reservations are released.

export type LimitName = 'requestsPerMinute' | 'tokensPerDay' | 'monthlyBudgetUsd';

export interface EffectiveLimits {
  requestsPerMinute: number | null;
  tokensPerDay: number | null;
  /** In units of 1e-10 USD (money.ts). */
  monthlyBudgetUnits: bigint | null;
}

export interface ReserveRequest {
  userId: string;
  reservationId: string;
  limits: EffectiveLimits;
  /** Worst-case tokens of the call. */
  tokens: number;
  /** Worst-case cost in 1e-10 USD. */
  costUnits: bigint;
  ttlMs: number;
}

/** What settle needs to find the reservation and the day/month it was booked to. */
export interface ReservationHandle {
  userId: string;
  reservationId: string;
  day: number;
  month: number;
}

export type ReserveResult =
  | { ok: true; handle: ReservationHandle }
  | { ok: false; limit: LimitName; retryAfterMs?: number };

export interface LimitStore {
  readonly kind: 'memory' | 'redis';
  /** Checks every limit and books the worst case, atomically; throws when the store is unreachable. */
  reserve(request: ReserveRequest): Promise<ReserveResult>;
  /** Replaces the reservation by the actual usage (booked even if the reservation lapsed). */
  settle(handle: ReservationHandle, tokens: number, costUnits: bigint): Promise<void>;
  /**
   * Undoes a reservation whose reserve() failed on the client side (a timeout: the script may
   * still have run): drops its request from the window and releases its worst case, if booked.
   */
  cancel(userId: string, reservationId: string): Promise<void>;
  close(): Promise<void>;
}

export const MINUTE_MS = 60_000;
export const DAY_MS = 86_400_000;

/** Days since the epoch (UTC). */
export const dayOf = (ms: number): number => Math.floor(ms / DAY_MS);
/** year * 12 + month index (UTC). */
export function monthOf(ms: number): number {
  const d = new Date(ms);
  return d.getUTCFullYear() * 12 + d.getUTCMonth();
}
