// Where limit counters live: in this process (no REDIS_URL) or in Redis, shared by every
// instance. Both keep the same books per subject (an API key, a user or a team): requests in the
// last 60 s (sliding window), tokens per UTC day and spend per UTC calendar month, each counting
// settled usage plus the worst case of calls in flight (reservations). One reservation books
// against every subject of a call at once (all or none) and is settled or released for all of
// them at once. A reservation lapses after its ttl, so a crashed instance's reservations are
// released. Books missing from the store (a restart, a flushed or evicted Redis) are seeded from
// the ledger before they are used (LedgerBooks).

export type LimitName = 'requestsPerMinute' | 'tokensPerDay' | 'monthlyBudgetUsd';
export type LimitLevel = 'key' | 'user' | 'team';

export interface EffectiveLimits {
  requestsPerMinute: number | null;
  tokensPerDay: number | null;
  /** In units of 1e-10 USD (money.ts). */
  monthlyBudgetUnits: bigint | null;
}

/** Whose books: an API key, a user or a team. */
export interface SubjectRef {
  level: LimitLevel;
  id: string;
}

export interface LimitSubject extends SubjectRef {
  limits: EffectiveLimits;
}

export interface ReserveRequest {
  /** Every subject the call counts toward; the first one that refuses names the refusal. */
  subjects: LimitSubject[];
  reservationId: string;
  /** Worst-case tokens of the call. */
  tokens: number;
  /** Worst-case cost in 1e-10 USD. */
  costUnits: bigint;
  ttlMs: number;
}

/** What settle needs to find the reservation and the day/month it was booked to. */
export interface ReservationHandle {
  subjects: SubjectRef[];
  reservationId: string;
  day: number;
  month: number;
}

export type ReserveResult =
  | { ok: true; handle: ReservationHandle }
  | { ok: false; level: LimitLevel; limit: LimitName; retryAfterMs?: number };

/** A subject's current books (reservations in flight included). */
export interface SubjectUsage {
  /** Requests in the sliding minute. */
  requests: number;
  /** Tokens booked today (UTC). */
  tokens: number;
  /** Spend booked this calendar month (UTC), 1e-10 USD. */
  units: bigint;
}

/** A subject's books as the ledger has them, to seed a store that lost (or never had) them. */
export interface LedgerBooks {
  /** Start times (ms) of the subject's calls in the last minute. */
  requestTimes: number[];
  tokensToday: number;
  unitsThisMonth: bigint;
}

export interface LedgerBooksSource {
  booksOf(subject: SubjectRef, at: Date): Promise<LedgerBooks>;
}

/** No ledger (unit tests of the stores): books start empty. */
export const EMPTY_LEDGER: LedgerBooksSource = { booksOf: async () => ({ requestTimes: [], tokensToday: 0, unitsThisMonth: 0n }) };

export interface LimitStore {
  readonly kind: 'memory' | 'redis';
  /** Checks every limit of every subject and books the worst case, atomically; throws when the store is unreachable. */
  reserve(request: ReserveRequest): Promise<ReserveResult>;
  /** Replaces the reservation by the actual usage (booked even if the reservation lapsed). */
  settle(handle: ReservationHandle, tokens: number, costUnits: bigint): Promise<void>;
  /**
   * Undoes a reservation: the call never went upstream, or reserve() failed on the client side
   * (a timeout: the script may still have run). Drops its request from the window and releases
   * its worst case, if booked.
   */
  cancel(subjects: SubjectRef[], reservationId: string): Promise<void>;
  /** The current books of each subject, in order (seeded from the ledger when missing). */
  usage(subjects: SubjectRef[]): Promise<SubjectUsage[]>;
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
/** The first instant of a month number (monthOf). */
export const monthStart = (month: number): Date => new Date(Date.UTC(Math.floor(month / 12), month % 12, 1));

/** "team:abc": a subject's name in maps and store keys. */
export const subjectKey = (s: SubjectRef): string => `${s.level}:${s.id}`;
