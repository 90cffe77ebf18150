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
