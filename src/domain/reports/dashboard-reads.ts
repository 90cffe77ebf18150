// The dashboard's reads beside usageReport, built together with usageReport's access rule.
import type { PrismaClient } from '../../db/index.ts';
import { createConversationCosts } from './conversation-costs.ts';
import { createModelPerformance } from './model-performance.ts';
import { createRecentCalls } from './recent-calls.ts';
import type { ReportScope } from './report-scope.ts';
import type { ReportQuery, UsageReport } from './usage-report.ts';

export function createDashboardReads(deps: { prisma: PrismaClient; scopeOf: ReportScope; runReport: (q: ReportQuery) => Promise<UsageReport> }) {
  return {
    recentCalls: createRecentCalls(deps),
    modelPerformance: createModelPerformance(deps),
    conversationCosts: createConversationCosts(deps),
  };
}
