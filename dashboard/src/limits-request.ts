// The limits panel's request (LimitsQuery): the caller's limits and what is left, and its own
// usage over the last minute, today and this month (UTC). It does not depend on the caller's
// role, so the page's first load sends it beside MeQuery instead of after it.
import type { ResultOf } from 'gql.tada';
import { LimitsQuery } from './documents.ts';
import { request } from './graphql.ts';

export type Limits = ResultOf<typeof LimitsQuery>;

export function requestLimits(apiKey: string, now = new Date()): Promise<Limits> {
  const dayStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  const monthStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const soon = new Date(now.getTime() + 1000);
  const own = (from: Date) => ({ from: from.toISOString(), to: soon.toISOString(), groupBy: [] });
  return request(LimitsQuery, { minute: own(new Date(now.getTime() - 60_000)), day: own(dayStart), month: own(monthStart) }, apiKey);
}
