// The balance: what a caller has left right now, at the tightest level that applies (key, user,
// team), for each limit: requests in the sliding minute, tokens today, USD this month. null:
// unlimited at every level. Reservations of calls in flight count as used.
import type { LimitStore } from './limit-store.ts';
import type { CallerLevels, LimitsOf } from './limit-subjects.ts';
import { unitsToUsd } from './money.ts';
import { normalizeDecimal } from '../pricing/pricing.ts';

export interface Remaining {
  requestsThisMinute: number | null;
  tokensToday: number | null;
  /** Decimal string. */
  budgetUsdThisMonth: string | null;
}

export const UNLIMITED: Remaining = { requestsThisMinute: null, tokensToday: null, budgetUsdThisMonth: null };

const tightest = <T>(values: T[], less: (a: T, b: T) => boolean): T | null => values.reduce<T | null>((min, v) => (min === null || less(v, min) ? v : min), null);

export function createRemaining({ limitsOf, store }: { limitsOf: LimitsOf; store: LimitStore }) {
  return async function remaining(caller: CallerLevels): Promise<Remaining> {
    const { subjects } = await limitsOf(caller);
    if (subjects.length === 0) return UNLIMITED;
    const used = await store.usage(subjects.map(({ level, id }) => ({ level, id })));
    const requests: number[] = [];
    const tokens: number[] = [];
    const units: bigint[] = [];
    subjects.forEach((s, i) => {
      const u = used[i]!;
      if (s.limits.requestsPerMinute != null) requests.push(Math.max(0, s.limits.requestsPerMinute - u.requests));
      if (s.limits.tokensPerDay != null) tokens.push(Math.max(0, s.limits.tokensPerDay - u.tokens));
      if (s.limits.monthlyBudgetUnits != null) {
        const left = s.limits.monthlyBudgetUnits - u.units;
        units.push(left > 0n ? left : 0n);
      }
    });
    const budget = tightest(units, (a, b) => a < b);
    return {
      requestsThisMinute: tightest(requests, (a, b) => a < b),
      tokensToday: tightest(tokens, (a, b) => a < b),
      budgetUsdThisMonth: budget === null ? null : normalizeDecimal(unitsToUsd(budget)),
    };
  };
}

export type RemainingOf = ReturnType<typeof createRemaining>;
