// modelPerformance / usage.modelPerformance: per requested model over a range, the error rate
// and the p50/p95 of latency and time to first token.
//
// Requests and errors are exact and cheap: they come from the usage report (whole days from the
// "UsageDaily" roll-up, grouped by model and status). Errors are ERROR and INTERRUPTED rows among
// the finished ones (PENDING rows are still running). The percentiles are computed in PostgreSQL
// (percentile_disc) over the newest finished calls of the range, at most PERCENTILE_SAMPLE of
// them (one backward index range scan), so their cost does not grow with the ledger: over a
// month of a million calls an exact percentile means sorting every row (~3 s here). Each model
// reports how many calls its percentiles are over (`sampledRequests`). Latency percentiles are
// over OK calls, time to first token over the calls that produced one.
//
// The sample is read without parallel workers: for one user PostgreSQL's parallel plan scans
// the whole range's createdAt index filtering on the user (~55 ms and three processes on a
// million rows), where the user's own (userId, createdAt) index gives the 5,000 newest in ~7 ms.
import type { PrismaClient } from '../../db/index.ts';
import type { Principal } from '../access/principal.ts';
import type { ModelPerformanceInput } from './dashboard-schemas.ts';
import type { ReportScope } from './report-scope.ts';
import type { ReportQuery, UsageReport } from './usage-report.ts';

/** The most calls the percentiles are computed over (the newest of the range). */
export const PERCENTILE_SAMPLE = 5_000;

export interface ModelPerformance {
  model: string;
  /** Finished calls (every status but PENDING). */
  requests: number;
  errors: number;
  /** errors / requests, 0..1 */
  errorRate: number;
  /** How many of the newest calls the percentiles are over. */
  sampledRequests: number;
  latencyP50Ms: number | null;
  latencyP95Ms: number | null;
  timeToFirstTokenP50Ms: number | null;
  timeToFirstTokenP95Ms: number | null;
}

interface RawPercentiles {
  model: string;
  sampled: string;
  latency: number[] | null;
  ttft: number[] | null;
}

interface PerformanceQuery {
  from: Date;
  to: Date;
  userId: string | null;
  model?: string | null;
  gatewayId?: string | null;
}

export function percentilesSql(q: PerformanceQuery, sample = PERCENTILE_SAMPLE) {
  const params: unknown[] = [q.from.toISOString(), q.to.toISOString(), sample];
  const filters: string[] = [];
  if (q.userId) filters.push(`"userId" = $${params.push(q.userId)}::uuid`);
  if (q.model) filters.push(`coalesce("servedModel", "requestedModel") = $${params.push(q.model)}::text`);
  if (q.gatewayId) filters.push(`"gatewayId" = $${params.push(q.gatewayId)}::text`);
  const sql = `WITH recent AS (
       SELECT coalesce("servedModel", "requestedModel") AS "servedModel", "status", "latencyMs", "timeToFirstTokenMs" FROM "UsageRecord"
       WHERE "createdAt" >= $1::timestamptz AND "createdAt" < $2::timestamptz AND "status" <> 'PENDING'${filters.map((f) => ` AND ${f}`).join('')}
       ORDER BY "createdAt" DESC LIMIT $3::int)
     SELECT "servedModel" AS "model", count(*)::text AS "sampled",
       percentile_disc(ARRAY[0.5, 0.95]) WITHIN GROUP (ORDER BY "latencyMs") FILTER (WHERE "status" = 'OK') AS "latency",
       percentile_disc(ARRAY[0.5, 0.95]) WITHIN GROUP (ORDER BY "timeToFirstTokenMs") FILTER (WHERE "timeToFirstTokenMs" IS NOT NULL) AS "ttft"
     FROM recent GROUP BY "servedModel"`;
  return { sql, params };
}

export function createModelPerformance(deps: { prisma: PrismaClient; scopeOf: ReportScope; runReport: (q: ReportQuery) => Promise<UsageReport>; sample?: number }) {
  async function byModel(principal: Principal, input: ModelPerformanceInput): Promise<ModelPerformance[]> {
    const userId = await deps.scopeOf(principal, input);
    const q: PerformanceQuery = { from: input.from, to: input.to, userId, model: input.model, gatewayId: input.gatewayId };
    const { sql, params } = percentilesSql(q, deps.sample);
    const [counts, [, percentiles]] = await Promise.all([
      deps.runReport({ ...q, groupBy: ['MODEL', 'STATUS'] }),
      deps.prisma.$transaction([deps.prisma.$executeRawUnsafe('SET LOCAL max_parallel_workers_per_gather = 0'), deps.prisma.$queryRawUnsafe<RawPercentiles[]>(sql, ...params)]),
    ]);
    const byModel = new Map<string, ModelPerformance>();
    for (const row of counts.rows) {
      if (row.status === 'PENDING' || row.model === null) continue;
      const m = byModel.get(row.model) ?? { model: row.model, requests: 0, errors: 0, errorRate: 0, sampledRequests: 0, latencyP50Ms: null, latencyP95Ms: null, timeToFirstTokenP50Ms: null, timeToFirstTokenP95Ms: null };
      m.requests += row.requests;
      if (row.status === 'ERROR' || row.status === 'INTERRUPTED') m.errors += row.requests;
      byModel.set(row.model, m);
    }
    for (const p of percentiles) {
      const m = byModel.get(p.model);
      if (!m) continue;
      m.sampledRequests = Number(p.sampled);
      m.latencyP50Ms = p.latency?.[0] ?? null;
      m.latencyP95Ms = p.latency?.[1] ?? null;
      m.timeToFirstTokenP50Ms = p.ttft?.[0] ?? null;
      m.timeToFirstTokenP95Ms = p.ttft?.[1] ?? null;
    }
    return [...byModel.values()]
      .map((m) => ({ ...m, errorRate: m.requests > 0 ? m.errors / m.requests : 0 }))
      .sort((a, b) => b.requests - a.requests || (a.model < b.model ? -1 : 1));
  }
  return { byModel };
}

export type ModelPerformanceService = ReturnType<typeof createModelPerformance>;
