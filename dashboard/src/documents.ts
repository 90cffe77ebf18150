// Every GraphQL document the dashboard sends, typed against schema.graphql by gql.tada: the
// reference for how a frontend reads Switchboard.
import { graphql } from './graphql.ts';

export const MeQuery = graphql(`
  query Me {
    me { id email role limits { requestsPerMinute tokensPerDay monthlyBudgetUsd } }
  }
`);

export const UsageSumsFragment = graphql(`
  fragment UsageSumsFields on UsageSums @_unmask {
    requests inputTokens outputTokens cachedInputTokens cacheWriteTokens reasoningTokens totalTokens costUsd
  }
`);

export const UsageReportQuery = graphql(
  `
  query UsageReport($input: UsageReportInput!) {
    usageReport(input: $input) {
      rows { day model gatewayId userId api status ...UsageSumsFields }
      totals { ...UsageSumsFields }
    }
  }
`,
  [UsageSumsFragment],
);

export const RecentCallsQuery = graphql(`
  query RecentCalls($input: RecentCallsInput!) {
    recentCalls(input: $input) {
      nextCursor
      rows {
        id createdAt userId userEmail model api gatewayId status errorCode streamed latencyMs timeToFirstTokenMs
        inputTokens outputTokens totalTokens costUsd usageEstimated reconciliation conversationId
      }
    }
  }
`);

export const ModelPerformanceQuery = graphql(`
  query ModelPerformance($input: ModelPerformanceInput!) {
    modelPerformance(input: $input) {
      model requests errors errorRate sampledRequests latencyP50Ms latencyP95Ms timeToFirstTokenP50Ms timeToFirstTokenP95Ms
    }
  }
`);

export const ConversationCostsQuery = graphql(`
  query ConversationCosts($input: ConversationCostsInput!) {
    conversationCosts(input: $input) { conversationId title model userEmail updatedAt requests totalTokens costUsd }
  }
`);

/**
 * What this server offers beyond the fields above (fields other work adds; see
 * pending-documents.ts). Introspection, which gql.tada does not type: a plain string.
 */
export const CAPABILITIES_QUERY = `
  query Capabilities {
    dimensions: __type(name: "UsageDimension") { enumValues { name } }
    query: __type(name: "Query") { fields { name } }
    user: __type(name: "User") { fields { name } }
  }
`;
export interface Capabilities {
  dimensions: { enumValues: Array<{ name: string }> | null } | null;
  query: { fields: Array<{ name: string }> | null } | null;
  user: { fields: Array<{ name: string }> | null } | null;
}

/** The caller's own usage this minute, today and this month, in one request (the limits panel). */
export const OwnUsageQuery = graphql(`
  query OwnUsage($minute: UsageReportInput!, $day: UsageReportInput!, $month: UsageReportInput!) {
    minute: usageReport(input: $minute) { totals { requests } }
    day: usageReport(input: $day) { totals { totalTokens } }
    month: usageReport(input: $month) { totals { costUsd } }
  }
`);

/** The top lists that every server has: users (admin) and models. */
export const TopQuery = graphql(`
  query Top($users: UsageReportInput!, $models: UsageReportInput!, $withUsers: Boolean!) {
    users: usageReport(input: $users) @include(if: $withUsers) { rows { userId requests totalTokens costUsd } }
    models: usageReport(input: $models) { rows { model requests totalTokens costUsd } }
  }
`);
