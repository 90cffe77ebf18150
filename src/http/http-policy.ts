// Per-request HTTP policy in front of every route: CORS from an allow-list, and the /metrics token.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

const ALLOWED_HEADERS = 'authorization, content-type, accept, idempotency-key, x-request-id, x-trpc-source, trpc-accept';

/**
 * CORS: a request from another origin is served only when its origin is listed (CORS_ORIGINS);
 * then the response allows it (with credentials) and a preflight is answered here. Same-origin
 * requests and requests without an Origin (servers, curl) pass. Returns false when the request
 * was answered (a preflight, or a refusal of an unlisted origin: 403).
 */
export function applyCors(req: IncomingMessage, res: ServerResponse, allowed: ReadonlySet<string>): boolean {
  const origin = req.headers.origin;
  if (!origin || isSameOrigin(origin, req.headers.host)) return true;
  if (!allowed.has(origin)) {
    const body = JSON.stringify({ error: { code: 'FORBIDDEN', message: `Origin ${origin.slice(0, 200)} is not allowed (CORS_ORIGINS)` } });
    res.writeHead(403, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), vary: 'Origin' });
    res.end(body);
    return false;
  }
  res.setHeader('access-control-allow-origin', origin);
  res.setHeader('access-control-allow-credentials', 'true');
  res.setHeader('access-control-expose-headers', 'x-request-id');
  res.setHeader('vary', 'Origin');
  if (req.method === 'OPTIONS' && req.headers['access-control-request-method']) {
    res.writeHead(204, {
      'access-control-allow-methods': 'GET, POST, OPTIONS',
      'access-control-allow-headers': ALLOWED_HEADERS,
      'access-control-max-age': '600',
    });
    res.end();
    return false;
  }
  return true;
}

function isSameOrigin(origin: string, host: string | undefined): boolean {
  if (!host) return false;
  return origin === `http://${host}` || origin === `https://${host}`;
}

/** Bearer token check for /metrics, in constant time. No token configured: open (development only). */
export function metricsAuthorized(req: IncomingMessage, token: string | undefined): boolean {
  if (!token) return true;
  const match = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  if (!match) return false;
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(match[1]!), digest(token));
}
