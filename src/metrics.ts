// Prometheus metrics: one registry per app (no global state), Node defaults included.
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
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

  function observe(api: 'graphql' | 'trpc', operation: string, outcome: string, seconds: number): void {
    requests.inc({ api, operation, outcome });
    duration.observe({ api, operation }, seconds);
  }

  return { registry, observe, refusals, upstreamCalls };
}

export type Metrics = ReturnType<typeof createMetrics>;
