// The in-process limit store (no REDIS_URL): the same books as the Redis store, kept in Maps.
// Every reserve runs synchronously, so concurrent calls in this process cannot interleave.
import { DAY_MS, dayOf, MINUTE_MS, monthOf, type LimitStore, type ReservationHandle, type ReserveRequest, type ReserveResult } from './limit-store.ts';

interface Held {
  day: number;
  month: number;
  tokens: number;
  costUnits: bigint;
  expiresAt: number;
}

interface Books {
  /** Start times of the requests in the sliding minute, oldest first. */
  requests: number[];
  tokensByDay: Map<number, number>;
  unitsByMonth: Map<number, bigint>;
  held: Map<string, Held>;
}

export function createMemoryLimitStore({ now = Date.now }: { now?: () => number } = {}): LimitStore {
  const users = new Map<string, Books>();

  function books(userId: string): Books {
    let b = users.get(userId);
    if (!b) users.set(userId, (b = { requests: [], tokensByDay: new Map(), unitsByMonth: new Map(), held: new Map() }));
    return b;
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
    while (b.requests.length > 0 && b.requests[0]! <= at - MINUTE_MS) b.requests.shift();
    const today = dayOf(at);
    for (const day of b.tokensByDay.keys()) if (day < today - 1) b.tokensByDay.delete(day);
    const month = monthOf(at);
    for (const m of b.unitsByMonth.keys()) if (m < month - 1) b.unitsByMonth.delete(m);
  }

  return {
    kind: 'memory',
    async reserve(r: ReserveRequest): Promise<ReserveResult> {
      const at = now();
      const b = books(r.userId);
      sweep(b, at);
      const day = dayOf(at);
      const month = monthOf(at);
      const { requestsPerMinute, tokensPerDay, monthlyBudgetUnits } = r.limits;
      if (requestsPerMinute != null && b.requests.length >= requestsPerMinute) {
        const oldest = b.requests[b.requests.length - requestsPerMinute] ?? at;
        return { ok: false, limit: 'requestsPerMinute', retryAfterMs: Math.max(1, oldest + MINUTE_MS - at) };
      }
      const tokens = b.tokensByDay.get(day) ?? 0;
      if (tokensPerDay != null && tokens + r.tokens > tokensPerDay) {
        return { ok: false, limit: 'tokensPerDay', retryAfterMs: (day + 1) * DAY_MS - at };
      }
      const units = b.unitsByMonth.get(month) ?? 0n;
      if (monthlyBudgetUnits != null && units + r.costUnits > monthlyBudgetUnits) {
        return { ok: false, limit: 'monthlyBudgetUsd' };
      }
      b.requests.push(at);
      b.tokensByDay.set(day, tokens + r.tokens);
      b.unitsByMonth.set(month, units + r.costUnits);
      b.held.set(r.reservationId, { day, month, tokens: r.tokens, costUnits: r.costUnits, expiresAt: at + r.ttlMs });
      return { ok: true, handle: { userId: r.userId, reservationId: r.reservationId, day, month } };
    },
    async settle(handle: ReservationHandle, tokens: number, costUnits: bigint): Promise<void> {
      const b = books(handle.userId);
      const held = b.held.get(handle.reservationId);
      if (held) {
        release(b, held);
        b.held.delete(handle.reservationId);
      }
      b.tokensByDay.set(handle.day, (b.tokensByDay.get(handle.day) ?? 0) + tokens);
      b.unitsByMonth.set(handle.month, (b.unitsByMonth.get(handle.month) ?? 0n) + costUnits);
    },
    async cancel(): Promise<void> {
      // reserve() here never fails half-way: nothing to undo.
    },
    async close() {
      users.clear();
    },
  };
}
