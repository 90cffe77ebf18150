// The page's first request (MeAndLimitsQuery): the caller, its limits and what is left, and its
// own usage over the last minute, today and this month (UTC), so the limits panel needs no
// request of its own on the first load.
import type { ResultOf } from 'gql.tada';
import { MeAndLimitsQuery } from './documents.ts';
import { request } from './graphql.ts';

export type MeAndLimits = ResultOf<typeof MeAndLimitsQuery>;

export function requestMeAndLimits(apiKey: string, now = new Date()): Promise<MeAndLimits> {
  const dayStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  const monthStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const soon = new Date(now.getTime() + 1000);
  const own = (from: Date) => ({ from: from.toISOString(), to: soon.toISOString(), groupBy: [] });
  return request(MeAndLimitsQuery, { minute: own(new Date(now.getTime() - 60_000)), day: own(dayStart), month: own(monthStart) }, apiKey);
}
