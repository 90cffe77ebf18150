// Who a usage read covers, once access is checked: one user's id, or null for everyone.
// The rule of usageReport, shared by every dashboard read (recent calls, model performance,
// conversation costs): see usage-report.ts.
import type { Principal } from '../access/principal.ts';

export interface ScopeRequest {
  userId?: string | null;
  allUsers?: boolean | null;
}

/** Resolves a scope or throws NOT_FOUND / FORBIDDEN, exactly as usageReport does. */
export type ReportScope = (principal: Principal, request: ScopeRequest) => Promise<string | null>;
