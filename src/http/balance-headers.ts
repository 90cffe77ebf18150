// The balance as HTTP response headers, the same on GraphQL and tRPC responses: what the caller
// has left after this request at the tightest applicable level. A limit that is unlimited at
// every level has no header.
import type { Remaining } from '../domain/limits/remaining.ts';

export const BALANCE_HEADERS = {
  requests: 'x-ratelimit-remaining-requests',
  tokens: 'x-ratelimit-remaining-tokens',
  budget: 'x-budget-remaining-usd',
} as const;

export function balanceHeaders(r: Remaining | null): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  if (r === null) return out;
  if (r.requestsThisMinute !== null) out.push([BALANCE_HEADERS.requests, String(r.requestsThisMinute)]);
  if (r.tokensToday !== null) out.push([BALANCE_HEADERS.tokens, String(r.tokensToday)]);
  if (r.budgetUsdThisMonth !== null) out.push([BALANCE_HEADERS.budget, r.budgetUsdThisMonth]);
  return out;
}
