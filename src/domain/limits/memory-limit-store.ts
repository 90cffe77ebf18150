// The in-process limit store (no REDIS_URL): the same books as the Redis store, kept in Maps.
// The check-and-book of a reservation runs synchronously (one critical section), so concurrent
// calls in this process cannot interleave. A subject's books are seeded from the ledger the
// first time they are needed in a month (after a restart: today's tokens, this month's spend
// and the last minute's requests), so a restart forgets nothing the ledger recorded.
import {
  DAY_MS,
  dayOf,
  EMPTY_LEDGER,
  MINUTE_MS,
  monthOf,
  subjectKey,
  type LedgerBooksSource,
  type LimitStore,
  type ReservationHandle,
  type ReserveRequest,
  type ReserveResult,
  type SubjectRef,
  type SubjectUsage,
} from './limit-store.ts';

interface Held {
  day: number;
  month: number;
  tokens: number;
  costUnits: bigint;
  expiresAt: number;
}

interface Books {
  /** The requests in the sliding minute, oldest first. */
  requests: Array<{ at: number; id: string }>;
  tokensByDay: Map<number, number>;
  unitsByMonth: Map<number, bigint>;
  held: Map<string, Held>;
  /** Months whose books were seeded from the ledger. */
  seeded: Set<number>;
  /** A seed in progress (concurrent first calls wait for the same one). */
  seeding?: Promise<void>;
}

export function createMemoryLimitStore({ now = Date.now, ledger = EMPTY_LEDGER }: { now?: () => number; ledger?: LedgerBooksSource } = {}): LimitStore {
  const subjects = new Map<string, Books>();

  function books(s: SubjectRef): Books {
    const key = subjectKey(s);
    let b = subjects.get(key);
    if (!b) subjects.set(key, (b = { requests: [], tokensByDay: new Map(), unitsByMonth: new Map(), held: new Map(), seeded: new Set() }));
    return b;
  }

  /** Adds the ledger's books to this month's (conservative: a call settled meanwhile may count twice, never zero times). */
  async function seed(s: SubjectRef): Promise<void> {
    const b = books(s);
    while (!b.seeded.has(monthOf(now()))) {
      if (!b.seeding) {
        const at = now();
        b.seeding = ledger
          .booksOf(s, new Date(at))
          .then((l) => {
            const day = dayOf(at);
            const month = monthOf(at);
            if (b.seeded.has(month)) return;
            b.tokensByDay.set(day, (b.tokensByDay.get(day) ?? 0) + l.tokensToday);
            b.unitsByMonth.set(month, (b.unitsByMonth.get(month) ?? 0n) + l.unitsThisMonth);
            const seededRequests = l.requestTimes.filter((t) => t > at - MINUTE_MS).map((t, i) => ({ at: t, id: `seed:${i}` }));
            b.requests = [...seededRequests, ...b.requests].sort((x, y) => x.at - y.at);
            b.seeded.add(month);
          })
          .finally(() => {
            b.seeding = undefined;
          });
      }
      await b.seeding;
    }
  }

  function release(b: Books, h: Held): void {
    b.tokensByDay.set(h.day, (b.tokensByDay.get(h.day) ?? 0) - h.tokens);
    b.unitsByMonth.set(h.month, (b.unitsByMonth.get(h.month) ?? 0n) - h.costUnits);
  }

  function sweep(b: Books, at: number): void {
    for (const [id, h] of b.held) {
      if (h.expiresAt <= at) {
        release(b, h);
        b.held.delete(id);
      }
    }
    while (b.requests.length > 0 && b.requests[0]!.at <= at - MINUTE_MS) b.requests.shift();
    const today = dayOf(at);
    for (const day of b.tokensByDay.keys()) if (day < today - 1) b.tokensByDay.delete(day);
    const month = monthOf(at);
    for (const m of b.unitsByMonth.keys()) if (m < month - 1) b.unitsByMonth.delete(m);
  }

  function cancelOne(b: Books, reservationId: string): void {
    const index = b.requests.findIndex((r) => r.id === reservationId);
    if (index >= 0) b.requests.splice(index, 1);
    const held = b.held.get(reservationId);
    if (held) {
      release(b, held);
      b.held.delete(reservationId);
    }
  }

  return {
    kind: 'memory',
    async reserve(r: ReserveRequest): Promise<ReserveResult> {
      await Promise.all(r.subjects.map(seed));
      // From here to the return: synchronous, one critical section for every subject.
      const at = now();
      const day = dayOf(at);
      const month = monthOf(at);
      const all = r.subjects.map((s) => ({ s, b: books(s) }));
      for (const { s, b } of all) {
        sweep(b, at);
        const { requestsPerMinute, tokensPerDay, monthlyBudgetUnits } = s.limits;
        if (requestsPerMinute != null && b.requests.length >= requestsPerMinute) {
          const oldest = b.requests[b.requests.length - requestsPerMinute]?.at ?? at;
          return { ok: false, level: s.level, limit: 'requestsPerMinute', retryAfterMs: Math.max(1, oldest + MINUTE_MS - at) };
        }
        if (tokensPerDay != null && (b.tokensByDay.get(day) ?? 0) + r.tokens > tokensPerDay) {
          return { ok: false, level: s.level, limit: 'tokensPerDay', retryAfterMs: (day + 1) * DAY_MS - at };
        }
        if (monthlyBudgetUnits != null && (b.unitsByMonth.get(month) ?? 0n) + r.costUnits > monthlyBudgetUnits) {
          return { ok: false, level: s.level, limit: 'monthlyBudgetUsd' };
        }
      }
      for (const { b } of all) {
        b.requests.push({ at, id: r.reservationId });
        b.tokensByDay.set(day, (b.tokensByDay.get(day) ?? 0) + r.tokens);
        b.unitsByMonth.set(month, (b.unitsByMonth.get(month) ?? 0n) + r.costUnits);
        b.held.set(r.reservationId, { day, month, tokens: r.tokens, costUnits: r.costUnits, expiresAt: at + r.ttlMs });
      }
      return { ok: true, handle: { subjects: r.subjects.map(({ level, id }) => ({ level, id })), reservationId: r.reservationId, day, month } };
    },
    async settle(handle: ReservationHandle, tokens: number, costUnits: bigint): Promise<void> {
      for (const s of handle.subjects) {
        const b = books(s);
        const held = b.held.get(handle.reservationId);
        if (held) {
          release(b, held);
          b.held.delete(handle.reservationId);
        }
        b.tokensByDay.set(handle.day, (b.tokensByDay.get(handle.day) ?? 0) + tokens);
        b.unitsByMonth.set(handle.month, (b.unitsByMonth.get(handle.month) ?? 0n) + costUnits);
      }
    },
    async cancel(refs: SubjectRef[], reservationId: string): Promise<void> {
      for (const s of refs) cancelOne(books(s), reservationId);
    },
    async usage(refs: SubjectRef[]): Promise<SubjectUsage[]> {
      await Promise.all(refs.map(seed));
      const at = now();
      return refs.map((s) => {
        const b = books(s);
        sweep(b, at);
        return { requests: b.requests.length, tokens: b.tokensByDay.get(dayOf(at)) ?? 0, units: b.unitsByMonth.get(monthOf(at)) ?? 0n };
      });
    },
    async close() {
      subjects.clear();
    },
  };
}
