// OpenTelemetry traces: on when OTEL_EXPORTER_OTLP_ENDPOINT is set (or a test hands in an
// exporter), off otherwise, and then every hook below returns at its first line: no span, no
// context switch, no allocation. Spans: one per HTTP request/operation (SERVER), one per upstream
// attempt (CLIENT, GenAI semantic-convention attributes + cost), one per ledger flush. The
// request's trace context goes upstream as a W3C `traceparent` header.
//
// Hook points (each a line in its module): server.ts withRequestSpan, graphql/yoga.ts
// tracingPlugin (operation names), upstream/client.ts traceHeaders, call-runner.ts traceAttempt,
// usage/ledger.ts traceLedgerFlush.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { context, propagation, SpanKind, SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { AttemptFacts } from './attempt-facts.ts';

export type { SpanExporter };

const TRACER = 'switchboard';
let enabled = false;

export interface TracingOptions {
  /** OTEL_EXPORTER_OTLP_ENDPOINT: the collector's base URL (traces go to {endpoint}/v1/traces). */
  endpoint?: string | undefined;
  serviceName?: string | undefined;
  /** Tests: export here (synchronously, span by span) instead of OTLP. */
  exporter?: SpanExporter | undefined;
}

export interface Tracing {
  enabled: boolean;
  /** Flushes and stops; hooks are off again afterwards. */
  shutdown(): Promise<void>;
}

/** Starts tracing when an endpoint or exporter is given; otherwise returns a tracing that is off. */
export function startTracing(options: TracingOptions): Tracing {
  if (!options.endpoint && !options.exporter) return { enabled: false, shutdown: async () => {} };
  const processor = options.exporter
    ? new SimpleSpanProcessor(options.exporter)
    : new BatchSpanProcessor(new OTLPTraceExporter({ url: `${options.endpoint!.replace(/\/+$/, '')}/v1/traces` }));
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': options.serviceName ?? 'switchboard' }),
    spanProcessors: [processor],
  });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  enabled = true;
  return {
    enabled: true,
    async shutdown() {
      enabled = false;
      await provider.shutdown();
      trace.disable();
      propagation.disable();
      context.disable();
    },
  };
}

const tracer = () => trace.getTracer(TRACER);

/** server.ts: runs one HTTP request inside a SERVER span (ended when the response closes). */
export function withRequestSpan(req: IncomingMessage, res: ServerResponse, handle: () => Promise<void>): Promise<void> {
  if (!enabled) return handle();
  const path = (req.url ?? '/').split('?', 1)[0]!;
  const attributes: Attributes = { 'http.request.method': req.method ?? 'GET', 'url.path': path };
  const trpcPath = path.startsWith('/trpc/') ? decodeURIComponent(path.slice('/trpc/'.length)) : undefined;
  if (trpcPath) Object.assign(attributes, { 'rpc.system': 'trpc', 'rpc.method': trpcPath });
  const span = tracer().startSpan(trpcPath ? `trpc ${trpcPath}` : `${req.method ?? 'GET'} ${path}`, { kind: SpanKind.SERVER, attributes });
  res.once('close', () => {
    span.setAttribute('http.response.status_code', res.statusCode);
    if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  });
  return context.with(trace.setSpan(context.active(), span), handle);
}

/** graphql/yoga.ts: names the request's span after the GraphQL operation. */
export function nameOperation(type: string, name: string): void {
  if (!enabled) return;
  const span = trace.getActiveSpan();
  if (!span) return;
  span.updateName(`graphql ${type} ${name}`);
  span.setAttributes({ 'graphql.operation.type': type, 'graphql.operation.name': name });
}

/** upstream/client.ts: the W3C trace context of the current span, for the upstream request. */
export function traceHeaders(): Record<string, string> {
  if (!enabled) return NO_HEADERS;
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier;
}
const NO_HEADERS: Record<string, string> = Object.freeze({}) as Record<string, string>;

const PROVIDER: Array<[string, string]> = [
  ['openai/', 'openai'],
  ['anthropic/', 'anthropic'],
  ['google/', 'gcp.gemini'],
  ['@cf/', 'cloudflare.workers_ai'],
];

/** call-runner.ts: one CLIENT span per upstream attempt, from its start to its end, as recorded. */
export function traceAttempt(row: AttemptFacts): void {
  if (!enabled) return;
  const provider = PROVIDER.find(([prefix]) => row.requestedModel.startsWith(prefix))?.[1] ?? row.requestedModel.split('/', 1)[0]!;
  const attributes: Attributes = {
    'gen_ai.operation.name': 'chat',
    'gen_ai.system': provider,
    'gen_ai.provider.name': provider,
    'gen_ai.request.model': row.requestedModel,
    'gen_ai.usage.input_tokens': row.inputTokens + row.cachedInputTokens + row.cacheWriteTokens,
    'gen_ai.usage.output_tokens': row.outputTokens,
    'gen_ai.usage.cached_input_tokens': row.cachedInputTokens,
    'gen_ai.usage.reasoning_tokens': row.reasoningTokens,
    'switchboard.call_id': row.callId,
    'switchboard.attempt': row.attempt,
    'switchboard.usage_id': row.id,
    'switchboard.api': row.api,
    'switchboard.gateway_id': row.gatewayId,
    'switchboard.status': row.status,
    'switchboard.streamed': row.streamed,
  };
  if (row.servedModel) attributes['gen_ai.response.model'] = row.servedModel;
  if (row.costUsd !== null) attributes['switchboard.cost_usd'] = row.costUsd;
  if (row.upstreamStatus !== null) attributes['http.response.status_code'] = row.upstreamStatus;
  if (row.upstreamLogId) attributes['switchboard.upstream_log_id'] = row.upstreamLogId;
  if (row.errorCode) attributes['error.type'] = row.errorCode;
  const start = row.createdAt.getTime();
  const span: Span = tracer().startSpan(`chat ${row.requestedModel}`, { kind: SpanKind.CLIENT, startTime: start, attributes });
  if (row.status === 'ERROR') span.setStatus({ code: SpanStatusCode.ERROR, message: row.errorCode ?? 'error' });
  span.end(start + row.latencyMs);
}

/** usage/ledger.ts: one span per group-committed ledger write. */
export function traceLedgerFlush<T>(rows: number, write: () => Promise<T>): Promise<T> {
  if (!enabled) return write();
  return tracer().startActiveSpan('switchboard.ledger.flush', { kind: SpanKind.INTERNAL, attributes: { 'db.system.name': 'postgresql', 'switchboard.ledger.rows': rows } }, async (span) => {
    try {
      return await write();
    } catch (error) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
      throw error;
    } finally {
      span.end();
    }
  });
}
