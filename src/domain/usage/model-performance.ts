// modelPerformance / usage.modelPerformance: per requested model over a range, the error rate and
// the p50/p95 of latency and time to first token, computed in PostgreSQL (percentile_disc).
// Errors are ERROR and INTERRUPTED rows among the finished ones (PENDING rows are still running);
// latency percentiles are over OK calls, time to first token over the calls that produced one.
import type { PrismaClient } from '../../db/index.ts';
import type { Principal } from '../access/principal.ts';
import type { ModelPerformanceInput } from './dashboard-schemas.ts';
import type { ReportScope } from './report-scope.ts';

export interface ModelPerformance {
  model: string;
  /** Finished calls (every status but PENDING). */
  requests: number;
  errors: number;
  /** errors / requests, 0..1 */
  errorRate: number;
  latencyP50Ms: number | null;
  latencyP95Ms: number | null;
  timeToFirstTokenP50Ms: number | null;
  timeToFirstTokenP95Ms: number | null;
}

interface RawPerformance {
  model: string;
  requests: string;
  errors: string;
  latency: number[] | null;
  ttft: number[] | null;
}

export function modelPerformanceSql(q: { from: Date; to: Date; userId: string | null; model?: string | null; gatewayId?: string | null }) {
  const params: unknown[] = [q.from.toISOString(), q.to.toISOString()];
  const filters: string[] = [];
  if (q.userId) filters.push(`"userId" = $${params.push(q.userId)}::uuid`);
  if (q.model) filters.push(`"requestedModel" = $${params.push(q.model)}::text`);
  if (q.gatewayId) filters.push(`"gatewayId" = $${params.push(q.gatewayId)}::text`);
  const sql = `SELECT "requestedModel" AS "model", count(*)::text AS "requests",
       count(*) FILTER (WHERE "status" IN ('ERROR', 'INTERRUPTED'))::text AS "errors",
       percentile_disc(ARRAY[0.5, 0.95]) WITHIN GROUP (ORDER BY "latencyMs") FILTER (WHERE "status" = 'OK') AS "latency",
       percentile_disc(ARRAY[0.5, 0.95]) WITHIN GROUP (ORDER BY "timeToFirstTokenMs") FILTER (WHERE "timeToFirstTokenMs" IS NOT NULL) AS "ttft"
     FROM "UsageRecord"
     WHERE "createdAt" >= $1::timestamptz AND "createdAt" < $2::timestamptz AND "status" <> 'PENDING'${filters.map((f) => ` AND ${f}`).join('')}
     GROUP BY "requestedModel" ORDER BY count(*) DESC, "requestedModel" COLLATE "C"`;
  return { sql, params };
}

export function createModelPerformance({ prisma, scopeOf }: { prisma: PrismaClient; scopeOf: ReportScope }) {
  async function byModel(principal: Principal, input: ModelPerformanceInput): Promise<ModelPerformance[]> {
    const userId = await scopeOf(principal, input);
    const { sql, params } = modelPerformanceSql({ from: input.from, to: input.to, userId, model: input.model, gatewayId: input.gatewayId });
    const raw = await prisma.$queryRawUnsafe<RawPerformance[]>(sql, ...params);
    return raw.map((r) => {
      const requests = Number(r.requests);
      const errors = Number(r.errors);
      return {
        model: r.model,
        requests,
        errors,
        errorRate: requests > 0 ? errors / requests : 0,
        latencyP50Ms: r.latency?.[0] ?? null,
        latencyP95Ms: r.latency?.[1] ?? null,
        timeToFirstTokenP50Ms: r.ttft?.[0] ?? null,
        timeToFirstTokenP95Ms: r.ttft?.[1] ?? null,
      };
    });
  }
  return { byModel };
}

export type ModelPerformanceService = ReturnType<typeof createModelPerformance>;
