// Reconciliation: the ledger checked against Cloudflare's own log of each request.
//
// A run for (gateway, [from, to)):
// 1. takes the gateway's run lock: a "ReconcileRun" row in status RUNNING (a unique partial
//    index allows one per gateway, across every instance and on both databases);
// 2. reads the logs page by page (memory stays flat) over the range widened by MATCH_MARGIN_MS
//    on both sides (a log's time and its row's time differ by the call's latency), staging each
//    page in "ReconcileStagedLog";
// 3. only when every page was read, applies them in ONE transaction (apply-sql.ts): matches, states,
//    INTERRUPTED rows taking Cloudflare's tokens and cost, MISSING_UPSTREAM, MISSING_LOCAL, summary.
// A Cloudflare failure (401, 429, 5xx, a malformed page) marks the run FAILED with the reason and
// leaves the ledger as it was. Rows younger than lagMs are not checked (they stay UNCHECKED): the
// range ends at now - lagMs at the latest. Applying the same logs twice changes nothing.
import type { Database, PrismaClient } from '../../db/index.ts';
import { RECONCILE_STATES as ROW_RECONCILE_STATES } from '../reports/dashboard-schemas.ts';
import { dbErrorKind } from '../../db/index.ts';
import { uuidv7 } from '../../platform/ids.ts';
import type { Logger } from '../../platform/logger.ts';
import { GatewayLogsError } from '../../upstream/gateway-logs-client.ts';
import { requireAdmin, type Principal } from '../access/principal.ts';
import { recordAudit, type AuditWriter } from '../audit/audit-trail.ts';
import { normalizeDecimal } from '../pricing/pricing.ts';
import { rangeSourceSql } from '../reports/range-source.ts';
import { APPLY_STATEMENTS, STAGE_SQL } from './apply-sql.ts';
import type { GatewayLog, LogSource } from './log-source.ts';
import type { ReconcileUsageInput, ReconciliationReportInput } from './schemas.ts';

/** Cost drift tolerance: |ours - Cloudflare's| > max(ABS, REL x Cloudflare's cost) is DRIFT. */
export const COST_TOLERANCE_ABS_USD = '0.000001';
export const COST_TOLERANCE_REL = '0.01';
/** Logs are read this far beyond each end of the range (a log's time trails its row's by the call's latency). */
export const MATCH_MARGIN_MS = 10 * 60_000;
/** A RUNNING run older than this is taken as abandoned (its instance died) and failed. */
export const STALE_RUN_MS = 30 * 60_000;
/** The longest the apply transaction may take. */
const APPLY_TIMEOUT_MS = 10 * 60_000;
/** Logs staged per insert. */
const STAGE_BATCH = 1_000;

/** A row's states (ROW_RECONCILE_STATES) plus MISSING_LOCAL: a log with no row, kept in its own table. */
export const RECONCILE_STATES = [...ROW_RECONCILE_STATES, 'MISSING_LOCAL'] as const;
export type ReconcileStateName = (typeof RECONCILE_STATES)[number];

export interface ReconcileRunView {
  id: string;
  gatewayId: string;
  from: Date;
  to: Date;
  status: 'RUNNING' | 'OK' | 'FAILED';
  error: string | null;
  startedAt: Date;
  finishedAt: Date | null;
  logsRead: number;
  matched: number;
  drift: number;
  missingUpstream: number;
  missingLocal: number;
  driftUsd: string | null;
}

export interface ReconciliationStateSum {
  state: ReconcileStateName;
  requests: number;
  costUsd: string | null;
  upstreamCostUsd: string | null;
}

export interface ReconciliationReport {
  byState: ReconciliationStateSum[];
  /** Σ (Cloudflare's cost - ours) over DRIFT rows whose two costs are known; positive: Cloudflare counts more. */
  driftUsd: string;
  lastRunAt: Date | null;
  lastRun: ReconcileRunView | null;
}

export interface ReconciliationDeps {
  prisma: PrismaClient;
  db: Pick<Database, 'execute'>;
  source: LogSource;
  defaultGatewayId: string;
  lagMs: number;
  logger: Logger;
  /** For tests: the clock. */
  now?: () => Date;
  /** Scope check of usage reports (who may see which user's rows). */
  scopeOf(principal: Principal, input: { userId?: string | null; allUsers?: boolean | null }): Promise<string | null>;
}

interface RunRow {
  id: string;
  gatewayId: string;
  fromTime: Date;
  toTime: Date;
  status: 'RUNNING' | 'OK' | 'FAILED';
  error: string | null;
  startedAt: Date;
  finishedAt: Date | null;
  logsRead: number;
  matched: number;
  drift: number;
  missingUpstream: number;
  missingLocal: number;
  driftUsd: { toString(): string } | null;
}

const toView = (r: RunRow): ReconcileRunView => ({
  id: r.id,
  gatewayId: r.gatewayId,
  from: r.fromTime,
  to: r.toTime,
  status: r.status,
  error: r.error,
  startedAt: r.startedAt,
  finishedAt: r.finishedAt,
  logsRead: r.logsRead,
  matched: r.matched,
  drift: r.drift,
  missingUpstream: r.missingUpstream,
  missingLocal: r.missingLocal,
  driftUsd: r.driftUsd === null ? null : normalizeDecimal(r.driftUsd),
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function stagedRow(runId: string, log: GatewayLog) {
  return {
    runId,
    logId: log.id,
    eventId: log.eventId,
    eventUuid: log.eventId !== null && UUID.test(log.eventId) ? log.eventId.toLowerCase() : null,
    loggedAt: log.createdAt.toISOString(),
    provider: log.provider,
    model: log.model,
    success: log.success,
    statusCode: log.statusCode,
    tokensIn: log.tokensIn,
    tokensOut: log.tokensOut,
    costUsd: log.costUsd,
    metadata: log.metadata,
  };
}

export function createReconciliationService(deps: ReconciliationDeps) {
  const { prisma, db, source, logger } = deps;
  const now = deps.now ?? (() => new Date());

  /** Takes the gateway's run lock; undefined when another run holds it. */
  async function begin(gatewayId: string, from: Date, to: Date, byUserId: string | null): Promise<RunRow | undefined> {
    await prisma.reconcileRun.updateMany({
      where: { gatewayId, status: 'RUNNING', startedAt: { lt: new Date(now().getTime() - STALE_RUN_MS) } },
      data: { status: 'FAILED', error: 'abandoned: its instance stopped before finishing', finishedAt: now() },
    });
    try {
      return await prisma.reconcileRun.create({ data: { id: uuidv7(), gatewayId, fromTime: from, toTime: to, byUserId, status: 'RUNNING' } });
    } catch (error) {
      if (dbErrorKind(error) === 'unique_violation') return undefined;
      throw error;
    }
  }

  async function fail(run: RunRow, reason: string): Promise<RunRow> {
    await prisma.reconcileStagedLog.deleteMany({ where: { runId: run.id } }).catch(() => undefined);
    return prisma.reconcileRun.update({ where: { id: run.id }, data: { status: 'FAILED', error: reason, finishedAt: now() } });
  }

  /**
   * Reconciles one gateway's rows in [from, to); `to` is cut to now - lag. Resolves to the
   * finished run (OK or FAILED), or undefined when another run of that gateway is in progress.
   */
  /** An admin's run is audited with the run's outcome, in the transaction that records it. */
  function auditRun(tx: AuditWriter, actor: Principal, run: RunRow): Promise<void> {
    return recordAudit(tx, actor, {
      action: 'reconciliation.run',
      targetType: 'RECONCILE_RUN',
      targetId: run.id,
      details: { gatewayId: run.gatewayId, from: run.fromTime, to: run.toTime, status: run.status, error: run.error, matched: run.matched, drift: run.drift, missingUpstream: run.missingUpstream, missingLocal: run.missingLocal },
    });
  }

  async function runOnce(gatewayId: string, from: Date, to: Date, byUserId: string | null, signal?: AbortSignal, actor?: Principal): Promise<ReconcileRunView | undefined> {
    const cutoff = new Date(Math.min(to.getTime(), now().getTime() - deps.lagMs));
    const end = cutoff.getTime() > from.getTime() ? cutoff : from;
    const run = await begin(gatewayId, from, end, byUserId);
    if (!run) return undefined;
    try {
      let batch: ReturnType<typeof stagedRow>[] = [];
      const flush = async () => {
        if (batch.length === 0) return;
        await db.execute(STAGE_SQL, [JSON.stringify(batch)]);
        batch = [];
      };
      if (end.getTime() > from.getTime()) {
        const range = { gatewayId, from: new Date(from.getTime() - MATCH_MARGIN_MS), to: new Date(end.getTime() + MATCH_MARGIN_MS) };
        for await (const page of source.pages(range, signal)) {
          for (const log of page) batch.push(stagedRow(run.id, log));
          if (batch.length >= STAGE_BATCH) await flush();
        }
        await flush();
      }
      logger.debug('reconciliation logs staged', { runId: run.id });
      const params = [run.id, gatewayId, from.toISOString(), end.toISOString(), COST_TOLERANCE_ABS_USD, COST_TOLERANCE_REL];
      // Fresh statistics of the staged logs, so the joins below are planned as hash joins
      // (without them a 100,000-row run was planned as a nested loop and took minutes).
      await prisma.$executeRawUnsafe('ANALYZE "ReconcileStagedLog"');
      await prisma.$transaction(
        async (tx) => {
          for (const sql of APPLY_STATEMENTS) await tx.$executeRawUnsafe(sql, ...params);
          if (actor) await auditRun(tx, actor, await tx.reconcileRun.findUniqueOrThrow({ where: { id: run.id } }));
        },
        { maxWait: 60_000, timeout: APPLY_TIMEOUT_MS },
      );
      const done = await prisma.reconcileRun.findUniqueOrThrow({ where: { id: run.id } });
      logger.info('reconciliation run finished', { runId: run.id, gatewayId, matched: done.matched, drift: done.drift, missingUpstream: done.missingUpstream, missingLocal: done.missingLocal });
      return toView(done);
    } catch (error) {
      const reason = error instanceof GatewayLogsError ? error.message : 'internal error while applying the logs (see the server log)';
      if (!(error instanceof GatewayLogsError)) logger.error('reconciliation run failed', { runId: run.id, cause: error });
      else logger.warn('reconciliation run failed', { runId: run.id, reason });
      const failed = await fail(run, reason);
      if (actor) await auditRun(prisma, actor, failed);
      return toView(failed);
    }
  }

  /** reconcileUsage (admin): finishes the run before it returns; a failure is a FAILED run, not an error. */
  async function reconcileUsage(principal: Principal, input: ReconcileUsageInput): Promise<ReconcileRunView> {
    requireAdmin(principal);
    const gatewayId = input.gatewayId ?? deps.defaultGatewayId;
    const run = await runOnce(gatewayId, input.from, input.to, principal.userId, undefined, principal);
    if (run) return run;
    const refused = await prisma.$transaction(async (tx) => {
      const row = await tx.reconcileRun.create({
        data: { id: uuidv7(), gatewayId, fromTime: input.from, toTime: input.to, byUserId: principal.userId, status: 'FAILED', error: `another reconciliation of gateway ${gatewayId} is running`, finishedAt: now() },
      });
      await auditRun(tx, principal, row);
      return row;
    });
    return toView(refused);
  }

  async function lastRun(gatewayId?: string | null): Promise<ReconcileRunView | null> {
    const row = await prisma.reconcileRun.findFirst({ where: { ...(gatewayId && { gatewayId }), status: { not: 'RUNNING' } }, orderBy: { startedAt: 'desc' } });
    return row ? toView(row) : null;
  }

  /**
   * reconciliation / usage.reconciliation: counts and sums per state, drift in dollars, the last run.
   * The rows' sums come from the range source (whole days from the roll-up, the edges from the
   * ledger); the logs with no row and the last run are read beside them, all three at once.
   */
  async function report(principal: Principal, input: ReconciliationReportInput): Promise<ReconciliationReport> {
    const userId = await deps.scopeOf(principal, input);
    const params: unknown[] = [];
    const p = (value: unknown, cast: string) => `$${params.push(value)}::${cast}`;
    const source = rangeSourceSql({ from: input.from, to: input.to, userId, gatewayId: input.gatewayId }, p);
    // Logs without a row belong to no user: only a report over every user shows them.
    const missingLocal = () =>
      prisma.$queryRawUnsafe<Array<{ requests: bigint | number; costUsd: string | null }>>(
        `SELECT count(*) AS "requests", sum("costUsd")::text AS "costUsd" FROM "MissingLocalLog"
         WHERE "loggedAt" >= $1::timestamptz AND "loggedAt" < $2::timestamptz${input.gatewayId ? ` AND "gatewayId" = $3` : ''}`,
        ...[input.from.toISOString(), input.to.toISOString(), ...(input.gatewayId ? [input.gatewayId] : [])],
      );
    const [rows, local, last] = await Promise.all([
      prisma.$queryRawUnsafe<Array<{ state: string; requests: bigint | number; costUsd: string | null; upstreamCostUsd: string | null; driftUsd: string | null }>>(
        `SELECT "reconciliation"::text AS "state", sum("requests")::text AS "requests", sum("costUsd")::text AS "costUsd", sum("upstreamCostUsd")::text AS "upstreamCostUsd",
                sum("driftUsd") FILTER (WHERE "reconciliation" = 'DRIFT')::text AS "driftUsd"
         FROM (${source}) AS src GROUP BY 1`,
        ...params,
      ),
      userId === null ? missingLocal() : Promise.resolve(null),
      lastRun(input.gatewayId),
    ]);
    const byState = new Map<ReconcileStateName, ReconciliationStateSum>(RECONCILE_STATES.map((state) => [state, { state, requests: 0, costUsd: null, upstreamCostUsd: null }]));
    let drift = normalizeDecimal('0');
    for (const r of rows) {
      byState.set(r.state as ReconcileStateName, {
        state: r.state as ReconcileStateName,
        requests: Number(r.requests),
        costUsd: r.costUsd === null ? null : normalizeDecimal(r.costUsd),
        upstreamCostUsd: r.upstreamCostUsd === null ? null : normalizeDecimal(r.upstreamCostUsd),
      });
      if (r.driftUsd !== null) drift = normalizeDecimal(r.driftUsd);
    }
    if (local) {
      const [l] = local;
      byState.set('MISSING_LOCAL', { state: 'MISSING_LOCAL', requests: Number(l?.requests ?? 0), costUsd: null, upstreamCostUsd: l?.costUsd == null ? null : normalizeDecimal(l.costUsd) });
    }
    return { byState: [...byState.values()], driftUsd: drift, lastRunAt: last?.finishedAt ?? null, lastRun: last };
  }

  // The periodic run: every gateway in the registry, from where its last OK run ended (or a day
  // back) to now - lag. One run per gateway at a time across instances (the run lock).
  let timer: NodeJS.Timeout | undefined;
  let busy: Promise<void> | undefined;
  const controller = new AbortController();

  async function tick(): Promise<void> {
    const gateways = await prisma.gateway.findMany({ select: { id: true } });
    for (const { id } of gateways) {
      if (controller.signal.aborted) return;
      const last = await prisma.reconcileRun.findFirst({ where: { gatewayId: id, status: 'OK' }, orderBy: { toTime: 'desc' }, select: { toTime: true } });
      const to = new Date(now().getTime() - deps.lagMs);
      const from = last?.toTime ?? new Date(to.getTime() - 86_400_000);
      if (from.getTime() >= to.getTime()) continue;
      await runOnce(id, from, to, null, controller.signal);
    }
  }

  function start(intervalMs: number): void {
    if (intervalMs <= 0 || timer) return;
    timer = setInterval(() => {
      if (busy) return;
      busy = tick()
        .catch((error: unknown) => logger.error('periodic reconciliation failed', { cause: error }))
        .finally(() => {
          busy = undefined;
        });
    }, intervalMs);
    timer.unref();
  }

  async function stop(): Promise<void> {
    if (timer) clearInterval(timer);
    timer = undefined;
    controller.abort();
    await busy;
  }

  return { reconcileUsage, runOnce, report, lastRun, start, stop };
}

export type ReconciliationService = ReturnType<typeof createReconciliationService>;
