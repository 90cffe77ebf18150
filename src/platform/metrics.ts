// Prometheus metrics: one registry per app (no global state), Node defaults included.
// Label values are bounded: an operation label is a known operation name (GraphQL root field or
// tRPC procedure path) or `other`; a model label is a model of the price list or `other`. A
// client can never grow the number of series.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { AttemptFacts } from './attempt-facts.ts';

export interface MetricsOptions {
  /** Operation names that may appear as labels; anything else is `other`. */
  operations?: Iterable<string>;
  /** Model ids that may appear as labels; anything else is `other`. */
  models?: Iterable<string>;
}

const TOKEN_KINDS = [
  ['input', 'inputTokens'],
  ['output', 'outputTokens'],
  ['cached_input', 'cachedInputTokens'],
  ['cache_write', 'cacheWriteTokens'],
  ['reasoning', 'reasoningTokens'],
] as const;

/** Where an unexpected error was caught: a bounded label set. */
export type InternalErrorSite = 'graphql' | 'trpc' | 'http' | 'stream' | 'websocket' | 'uncaught_exception' | 'unhandled_rejection';

/** The event-loop lag sampling interval, milliseconds. */
export const EVENT_LOOP_SAMPLE_MS = 100;

export function createMetrics(options: MetricsOptions = {}) {
  const operations = new Set(options.operations ?? []);
  const models = new Set(options.models ?? []);
  const registry = new Registry();
  // The event-loop lag histogram samples on a timer: every 100 ms, not prom-client's 10 ms, which
  // woke an idle or lightly loaded server 100 times a second (the bench counts wake-ups per call).
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
  const requests = new Counter({
    name: 'switchboard_requests_total',
    help: 'Operations served, by API (graphql|trpc), operation and outcome (ok or an error code)',
    labelNames: ['api', 'operation', 'outcome'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'switchboard_request_duration_seconds',
    help: 'Operation duration, by API and operation',
    labelNames: ['api', 'operation'] as const,
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  });
  const errors = new Counter({
    name: 'switchboard_errors_total',
    help: 'Errors answered to clients, by API (graphql|trpc) and contract code',
    labelNames: ['api', 'code'] as const,
    registers: [registry],
  });
  const refusals = new Counter({
    name: 'switchboard_limit_refusals_total',
    help: 'Calls refused by a rate limit or budget before reaching upstream',
    labelNames: ['limit'] as const,
    registers: [registry],
  });
  const upstreamCalls = new Counter({
    name: 'switchboard_upstream_calls_total',
    help: 'Upstream calls recorded in the ledger, by API and status',
    labelNames: ['api', 'status'] as const,
    registers: [registry],
  });
  const upstreamLatency = new Histogram({
    name: 'switchboard_upstream_latency_seconds',
    help: 'Upstream call duration (request to last byte), by model and upstream API',
    labelNames: ['model', 'api'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    registers: [registry],
  });
  const upstreamTtft = new Histogram({
    name: 'switchboard_upstream_time_to_first_token_seconds',
    help: 'Time to the first output token of upstream calls, by model and upstream API',
    labelNames: ['model', 'api'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const upstreamTokens = new Counter({
    name: 'switchboard_upstream_tokens_total',
    help: 'Tokens of upstream calls, by model, upstream API and kind (input, output, cached_input, cache_write, reasoning)',
    labelNames: ['model', 'api', 'kind'] as const,
    registers: [registry],
  });
  const upstreamCost = new Counter({
    name: 'switchboard_upstream_cost_usd_total',
    help: 'Cost of priced upstream calls in USD (approximate: the ledger holds the exact decimal), by model and upstream API',
    labelNames: ['model', 'api'] as const,
    registers: [registry],
  });

  const internalErrors = new Counter({
    name: 'switchboard_internal_errors_total',
    help: 'Errors nobody expected (answered INTERNAL, or caught by the last line of defence), by where they were caught',
    labelNames: ['where'] as const,
    registers: [registry],
  });

  const sseReservations = new Gauge({
    name: 'switchboard_graphql_sse_reservations',
    help: 'graphql-sse single-connection reservations held (PUT /graphql/stream), connected or waiting to connect',
    registers: [registry],
  });

  const writeAheadHold = new Histogram({
    name: 'switchboard_write_ahead_hold_seconds',
    help: 'How long a reply that was ready waited for its write-ahead (PENDING) row to commit: what the write-ahead adds to time to first token (streamed) or to the reply (not streamed)',
    labelNames: ['streamed'] as const,
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25, 1],
    registers: [registry],
  });

  const ledgerCommits = new Counter({
    name: 'switchboard_ledger_commits_total',
    help: 'Statements the usage ledger committed (each a group of rows), by whether the commit waited for its WAL flush (durable: the write-ahead) or not (deferred: the finishes)',
    labelNames: ['commit'] as const,
    registers: [registry],
  });

  /** The ledger's hook: one committed statement. */
  function ledgerCommitted(durable: boolean): void {
    ledgerCommits.inc({ commit: durable ? 'durable' : 'deferred' });
  }

  /** The call runner's hook: a reply ready after `seconds` waiting for its write-ahead row (0: it was already durable). */
  function writeAheadHeld(streamed: boolean, seconds: number): void {
    writeAheadHold.observe({ streamed: String(streamed) }, seconds);
  }

  const operationLabel = (name: string | undefined | null): string => (name && operations.has(name) ? name : 'other');
  const modelLabel = (model: string): string => (models.has(model) ? model : 'other');

  function error(api: 'graphql' | 'trpc', code: string): void {
    errors.inc({ api, code });
    if (code === 'INTERNAL') internalErrors.inc({ where: api });
  }

  /** An unexpected error caught outside the GraphQL/tRPC error mappings (a stream, a socket, the process). */
  function internal(where: InternalErrorSite): void {
    internalErrors.inc({ where });
  }

  function observe(api: 'graphql' | 'trpc', operation: string, outcome: string, seconds: number): void {
    const label = operationLabel(operation);
    requests.inc({ api, operation: label, outcome });
    duration.observe({ api, operation: label }, seconds);
  }

  /** The hook for ledger writes: call it with final rows (a PENDING row is skipped: its final write counts). */
  function recordCalls(rows: readonly AttemptFacts[]): void {
    for (const row of rows) {
      if (row.status === 'PENDING') continue;
      upstreamCalls.inc({ api: row.api, status: row.status });
      const labels = { model: modelLabel(row.requestedModel), api: row.api };
      upstreamLatency.observe(labels, row.latencyMs / 1000);
      if (row.timeToFirstTokenMs !== null) upstreamTtft.observe(labels, row.timeToFirstTokenMs / 1000);
      for (const [kind, key] of TOKEN_KINDS) if (row[key] > 0) upstreamTokens.inc({ ...labels, kind }, row[key]);
      if (row.costUsd !== null) upstreamCost.inc(labels, Number(row.costUsd));
    }
  }

  return { registry, observe, error, internal, sseReservations, operationLabel, recordCalls, refusals, upstreamCalls, writeAheadHeld, ledgerCommitted };
}

export type Metrics = ReturnType<typeof createMetrics>;
