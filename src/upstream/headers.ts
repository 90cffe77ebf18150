// cf-aig-* request headers from the normalized request, and the gateway facts read back.
import type { IncomingHttpHeaders } from 'node:http';
import type { UpstreamRequest } from './call-vocabulary.ts';

export function gatewayHeaders(req: UpstreamRequest): Record<string, string> {
  const h: Record<string, string> = {
    'cf-aig-gateway-id': req.gatewayId,
    'cf-aig-event-id': req.eventId,
  };
  if (req.cache?.skip) h['cf-aig-skip-cache'] = 'true';
  if (req.cache?.ttlSeconds !== undefined) h['cf-aig-cache-ttl'] = String(req.cache.ttlSeconds);
  if (req.metadata && Object.keys(req.metadata).length > 0) h['cf-aig-metadata'] = headerSafeJson(req.metadata);
  if (req.requestTimeoutMs !== undefined) h['cf-aig-request-timeout'] = String(req.requestTimeoutMs);
  if (req.sessionId) h['cf-aig-session-id'] = req.sessionId;
  const traceId = otelTraceId(req.eventId);
  if (traceId) h['cf-aig-otel-trace-id'] = traceId;
  return h;
}

/** The OpenTelemetry trace id of a call: its row id (a UUID) as 32 lowercase hex digits; undefined for any other id. */
export function otelTraceId(eventId: string): string | undefined {
  const hex = eventId.replace(/-/g, '').toLowerCase();
  return /^[0-9a-f]{32}$/.test(hex) && hex !== '0'.repeat(32) ? hex : undefined;
}

const first = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

/** Neurons as sent: a non-negative decimal (e.g. "172.80"); anything else is ignored. */
const NEURONS = /^\d{1,14}(\.\d{1,6})?$/;
/** A full model id from a routing header (the same shape as a requested one). */
const ROUTED_MODEL = /^[@A-Za-z0-9][A-Za-z0-9._:/@-]{0,127}$/;
/** A provider slug (cf-aig-provider: openai, anthropic, google-ai-studio, workers-ai, ...). */
const PROVIDER = /^[a-z0-9][a-z0-9._-]{0,63}$/i;

/**
 * A served model's full id from Cloudflare's name for it and the provider slug beside it: a bare
 * name ("claude-sonnet-4-5") takes its provider ("anthropic/claude-sonnet-4-5"), so it prices and
 * checks as the catalogue's model. Undefined unless the result is a model id. The one rule for
 * cf-aig-model / cf-aig-provider and for an OpenTelemetry span's model and provider.
 */
export function fullModelId(model: string | null | undefined, provider: string | null | undefined): string | undefined {
  const name = model?.trim();
  if (!name) return undefined;
  const slug = provider?.trim();
  const id = !name.includes('/') && slug && PROVIDER.test(slug) ? `${slug}/${name}` : name;
  return ROUTED_MODEL.test(id) ? id : undefined;
}

/** The Auto Router names its choice in cf-aig-routed-model (a full id); a dynamic route in cf-aig-model and cf-aig-provider. */
function servedModelOf(headers: IncomingHttpHeaders): string | undefined {
  const routed = first(headers['cf-aig-routed-model'])?.trim();
  if (routed) return fullModelId(routed, undefined);
  return fullModelId(first(headers['cf-aig-model']), first(headers['cf-aig-provider']));
}

export function readGatewayMeta(headers: IncomingHttpHeaders): { cacheStatus?: string; upstreamLogId?: string; routedModel?: string; neurons?: string } {
  const meta: { cacheStatus?: string; upstreamLogId?: string; routedModel?: string; neurons?: string } = {};
  const cacheStatus = first(headers['cf-aig-cache-status']);
  const logId = first(headers['cf-aig-log-id']);
  const routed = servedModelOf(headers);
  const neurons = first(headers['cf-ai-neurons'])?.trim();
  if (cacheStatus) meta.cacheStatus = cacheStatus.toUpperCase();
  if (logId) meta.upstreamLogId = logId;
  if (routed) meta.routedModel = routed;
  if (neurons && NEURONS.test(neurons)) meta.neurons = neurons;
  return meta;
}

/**
 * JSON that is safe as an HTTP header value: every character outside printable ASCII is written
 * as a JSON \uXXXX escape, so the value is plain ASCII and decodes to exactly the same JSON
 * (non-Latin-1 metadata such as "☃" arrives intact instead of failing inside undici).
 */
export function headerSafeJson(value: unknown): string {
  return JSON.stringify(value).replace(/[^\x20-\x7E]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
