// cf-aig-* request headers from the normalized request, and the gateway facts read back.
import type { IncomingHttpHeaders } from 'node:http';
import type { UpstreamRequest } from '../call-vocabulary.ts';

export function gatewayHeaders(req: UpstreamRequest): Record<string, string> {
  const h: Record<string, string> = {
    'cf-aig-gateway-id': req.gatewayId,
    'cf-aig-event-id': req.eventId,
  };
  if (req.cache?.skip) h['cf-aig-skip-cache'] = 'true';
  if (req.cache?.ttlSeconds !== undefined) h['cf-aig-cache-ttl'] = String(req.cache.ttlSeconds);
  if (req.metadata && Object.keys(req.metadata).length > 0) h['cf-aig-metadata'] = headerSafeJson(req.metadata);
  if (req.requestTimeoutMs !== undefined) h['cf-aig-request-timeout'] = String(req.requestTimeoutMs);
  return h;
}

const first = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

export function readGatewayMeta(headers: IncomingHttpHeaders): { cacheStatus?: string; upstreamLogId?: string } {
  const meta: { cacheStatus?: string; upstreamLogId?: string } = {};
  const cacheStatus = first(headers['cf-aig-cache-status']);
  const logId = first(headers['cf-aig-log-id']);
  if (cacheStatus) meta.cacheStatus = cacheStatus.toUpperCase();
  if (logId) meta.upstreamLogId = logId;
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
