// Reconciliation's part of the composition root (kept apart so src/app.ts gains one line): the
// REST logs client, the service, its metrics (the last run's time, result and drift, read from
// the database at scrape time, so every instance reports the same) and the periodic run.
import { Counter, Gauge } from 'prom-client';
import type { Database } from '../db/index.ts';
import { restLogSource, type LogSource } from '../domain/reconciliation/log-source.ts';
import { combinedLogSource, otlpSpanSource } from '../domain/reconciliation/span-source.ts';
import { createSpanIntake } from '../domain/reconciliation/span-intake.ts';
import { createOtlpReceiver, OTLP_TRACES_PATH } from '../http/otlp-receiver.ts';
import { createReconciliationService, type ReconciliationService } from '../domain/reconciliation/reconciliation-service.ts';
import type { UsageReports } from '../domain/reports/usage-report.ts';
import type { Env } from '../platform/env.ts';
import type { Logger } from '../platform/logger.ts';
import type { Metrics } from '../platform/metrics.ts';
import { createGatewayLogsClient } from '../upstream/gateway-logs-client.ts';
import type { UpstreamConfig } from '../upstream/client.ts';

/**
 * The service over the source RECONCILE_SOURCE names (Cloudflare's REST logs API, the spans its
 * OpenTelemetry export pushed, or both), as the server and `npm run reconcile` both build it.
 */
export function createReconciliationOverRest(deps: {
  env: Pick<Env, 'DEFAULT_GATEWAY_ID' | 'RECONCILE_LAG_MS'> & Partial<Pick<Env, 'RECONCILE_SOURCE'>>;
  upstreamConfig: Pick<UpstreamConfig, 'baseUrl' | 'accountId' | 'apiToken' | 'timeoutMs'>;
  db: Database;
  logger: Logger;
  usage: UsageReports;
}): { service: ReconciliationService; close: () => Promise<void> } {
  const { env, upstreamConfig, db, logger, usage } = deps;
  const client = createGatewayLogsClient({ baseUrl: upstreamConfig.baseUrl, accountId: upstreamConfig.accountId, apiToken: upstreamConfig.apiToken, timeoutMs: upstreamConfig.timeoutMs });
  const service = createReconciliationService({
    prisma: db.prisma,
    db,
    source: sourceFor(env.RECONCILE_SOURCE ?? 'logs', restLogSource(client), otlpSpanSource({ prisma: db.prisma, defaultGatewayId: env.DEFAULT_GATEWAY_ID })),
    defaultGatewayId: env.DEFAULT_GATEWAY_ID,
    lagMs: env.RECONCILE_LAG_MS,
    logger,
    scopeOf: (principal, input) => usage.scopeOf(principal, input),
  });
  return { service, close: () => client.close() };
}

function sourceFor(kind: Env['RECONCILE_SOURCE'], logs: LogSource, spans: LogSource): LogSource {
  if (kind === 'otlp') return spans;
  if (kind === 'both') return combinedLogSource(logs, spans);
  return logs;
}

/** POST /otlp/v1/traces, when RECONCILE_OTLP_TOKEN is set: spans stored and matched on arrival. */
export function createOtlpRoutes(deps: { env: Env; db: Database; logger: Logger; metrics: Metrics }): Map<string, ReturnType<typeof createOtlpReceiver>> {
  const { env, db, logger, metrics } = deps;
  if (!env.RECONCILE_OTLP_TOKEN) return new Map();
  const spans = new Counter({ name: 'switchboard_otlp_spans_received_total', help: "Spans received from the gateway's OpenTelemetry export", registers: [metrics.registry] });
  const receiver = createOtlpReceiver({
    token: env.RECONCILE_OTLP_TOKEN,
    maxBodyBytes: env.RECONCILE_OTLP_MAX_BODY_BYTES,
    maxRequestsPerSecond: env.RECONCILE_OTLP_MAX_REQUESTS_PER_SECOND,
    intake: createSpanIntake({ db }),
    logger,
    onSpans: (n) => spans.inc(n),
  });
  return new Map([[OTLP_TRACES_PATH, receiver]]);
}

export function createReconciliation(deps: {
  env: Env;
  upstreamConfig: UpstreamConfig;
  db: Database;
  logger: Logger;
  usage: UsageReports;
  metrics: Metrics;
  cleanup: Array<() => Promise<void>>;
  /** false (the CLIs): no periodic run. */
  background?: boolean;
}): ReconciliationService {
  const { env, upstreamConfig, db, logger, metrics, cleanup } = deps;
  const { service, close } = createReconciliationOverRest({ env, upstreamConfig, db, logger, usage: deps.usage });
  cleanup.push(close);

  const last = () => service.lastRun().catch(() => null);
  // A failed run has no drift: the drift gauge keeps the last OK run's (a failure must not read as "no drift").
  const lastOk = () =>
    db.prisma.reconcileRun.findFirst({ where: { status: 'OK' }, orderBy: { startedAt: 'desc' }, select: { driftUsd: true } }).catch(() => null);
  new Gauge({
    name: 'switchboard_reconcile_last_run_timestamp_seconds',
    help: 'When the last reconciliation run finished (any instance), Unix seconds; 0 = none yet',
    registers: [metrics.registry],
    async collect() {
      const run = await last();
      this.set(run?.finishedAt ? run.finishedAt.getTime() / 1000 : 0);
    },
  });
  new Gauge({
    name: 'switchboard_reconcile_last_run_ok',
    help: 'Result of the last reconciliation run: 1 OK, 0 FAILED, -1 none yet',
    registers: [metrics.registry],
    async collect() {
      const run = await last();
      this.set(run ? (run.status === 'OK' ? 1 : 0) : -1);
    },
  });
  new Gauge({
    name: 'switchboard_reconcile_last_run_drift_usd',
    help: "The last OK reconciliation run's drift: sum of (Cloudflare's cost - ours) over DRIFT rows, USD",
    registers: [metrics.registry],
    async collect() {
      const run = await lastOk();
      this.set(run?.driftUsd ? Number(run.driftUsd.toString()) : 0);
    },
  });
  new Gauge({
    name: 'switchboard_reconcile_last_run_rows',
    help: "The last reconciliation run's rows by state",
    labelNames: ['state'] as const,
    registers: [metrics.registry],
    async collect() {
      const run = await last();
      this.set({ state: 'MATCHED' }, run?.matched ?? 0);
      this.set({ state: 'DRIFT' }, run?.drift ?? 0);
      this.set({ state: 'MISSING_UPSTREAM' }, run?.missingUpstream ?? 0);
      this.set({ state: 'MISSING_LOCAL' }, run?.missingLocal ?? 0);
    },
  });

  if (deps.background !== false) {
    service.start(env.RECONCILE_INTERVAL_MS);
    cleanup.push(() => service.stop());
  }
  return service;
}
