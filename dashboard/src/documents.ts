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
    requests inputTokens outputTokens cachedInputTokens cacheWriteTokens reasoningTokens totalTokens costUsd cacheHits cacheSavedUsd
  }
`);

/**
 * The usage chart's report (by day and one of model / API / gateway / team / surface): only the columns it
 * draws; the totals in full (the totals panel shows them).
 */
export const DailyReportQuery = graphql(
  `
  query DailyReport($input: UsageReportInput!) {
    usageReport(input: $input) {
      rows { day model gatewayId api surface teamId teamName requests totalTokens costUsd }
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
        id callId attempt createdAt userId userEmail model servedModel cacheHit api gatewayId status errorCode streamed latencyMs timeToFirstTokenMs
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
 * The limits panel in one request: the caller's limits and what is left of them now (the tightest
 * of its key's, user's and team's), and its own usage this minute, today and this month. It does
 * not depend on the role, so the page sends it beside MeQuery.
 */
export const LimitsQuery = graphql(`
  query Limits($minute: UsageReportInput!, $day: UsageReportInput!, $month: UsageReportInput!) {
    me {
      limits { requestsPerMinute tokensPerDay monthlyBudgetUsd }
      remaining { requestsThisMinute tokensToday budgetUsdThisMonth }
    }
    minute: usageReport(input: $minute) { totals { requests } }
    day: usageReport(input: $day) { totals { totalTokens } }
    month: usageReport(input: $month) { totals { costUsd } }
  }
`);

/** The top lists in one request: users and teams (admin), models, API keys and tags. */
export const TopQuery = graphql(`
  query Top(
    $users: UsageReportInput!
    $models: UsageReportInput!
    $keys: UsageReportInput!
    $teams: UsageReportInput!
    $tags: UsageReportInput!
    $modalities: UsageReportInput!
    $admin: Boolean!
  ) {
    users: usageReport(input: $users) @include(if: $admin) { rows { userId userEmail requests totalTokens costUsd } }
    models: usageReport(input: $models) { rows { model requests totalTokens costUsd } }
    keys: usageReport(input: $keys) { rows { apiKeyId apiKeyName requests totalTokens costUsd } }
    teams: usageReport(input: $teams) @include(if: $admin) { rows { teamId teamName requests totalTokens costUsd } }
    tags: usageReport(input: $tags) { rows { tagKey tagValue requests totalTokens costUsd } }
    modalities: usageReport(input: $modalities) { rows { modality requests totalTokens costUsd } }
  }
`);

/** Reconciliation with Cloudflare's logs over the range: counts and costs per state, drift, the last run. */
export const ReconciliationQuery = graphql(`
  query Reconciliation($input: ReconciliationReportInput!) {
    reconciliation(input: $input) {
      byState { state requests costUsd upstreamCostUsd }
      driftUsd
      lastRunAt
    }
  }
`);

/** The admin's Audit tab: the audit log, newest first, a page at a time. */
export const AuditLogQuery = graphql(`
  query AuditLog($input: AuditLogInput) {
    auditLog(input: $input) {
      nodes { id at actorUserId actorApiKeyId action targetType targetId details requestId }
      pageInfo { hasNextPage endCursor }
    }
  }
`);

/** The admin's Audit tab: the budget alerts. */
export const BudgetAlertsQuery = graphql(`
  query BudgetAlerts {
    budgetAlerts { id scope subjectId thresholdPercent webhookUrl createdAt }
  }
`);
