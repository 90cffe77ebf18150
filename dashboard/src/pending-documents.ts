// Documents for fields other work adds to the API (teams: me.remaining and the API_KEY / TEAM /
// TAG report dimensions; reconciliation: the reconciliation report), as the v2 contract names
// them. They are plain strings until those fields are in schema.graphql: then move each into
// documents.ts as a typed graphql() document. Until then a server without them answers
// GRAPHQL_VALIDATION_FAILED and the panel says the feature is not available.

export const REMAINING_QUERY = `
  query Remaining { me { remaining { requestsThisMinute tokensToday budgetUsdThisMonth } } }
`;
export interface RemainingResult {
  me: { remaining: { requestsThisMinute: number | null; tokensToday: number | null; budgetUsdThisMonth: string | null } | null };
}

export const RECONCILIATION_QUERY = `
  query Reconciliation($input: ReconciliationInput!) {
    reconciliation(input: $input) { byState { state requests costUsd upstreamCostUsd } driftUsd lastRunAt }
  }
`;
export interface ReconciliationResult {
  reconciliation: {
    byState: Array<{ state: string; requests: number; costUsd: string | null; upstreamCostUsd: string | null }>;
    driftUsd: string | null;
    lastRunAt: string | null;
  };
}

/** usageReport grouped by a dimension the schema may not have yet; the row's key field per dimension. */
export const PENDING_DIMENSIONS = {
  API_KEY: 'apiKeyId',
  TEAM: 'teamId',
  TAG: 'tag',
} as const;
export type PendingDimension = keyof typeof PENDING_DIMENSIONS;

export const groupedReportQuery = (dimension: PendingDimension, withDay: boolean) => `
  query GroupedReport($input: UsageReportInput!) {
    usageReport(input: $input) { rows { ${withDay ? 'day ' : ''}${PENDING_DIMENSIONS[dimension]} requests totalTokens costUsd } }
  }
`;
export interface GroupedReportResult {
  usageReport: { rows: Array<Record<string, string | number | null>> };
}
