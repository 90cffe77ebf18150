// POST /otlp/v1/traces: the OTLP/HTTP receiver for AI Gateway's OpenTelemetry export (JSON or
// protobuf, optionally gzip). Authenticated by `Authorization: Bearer <RECONCILE_OTLP_TOKEN>`
// (401 without it), bounded in body size (413, checked on Content-Length and while reading,
// decompressed size included) and in rate (429 with Retry-After, a token bucket shared by every
// caller), answered as the OTLP spec says (200 with an ExportTraceServiceResponse, JSON or
// protobuf as the request was). Spans are matched to ledger rows as they arrive (span-intake.ts).
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { gunzip } from 'node:zlib';
import { HTTP_STATUS, toAppError } from '../platform/errors.ts';
import type { SpanIntake } from '../domain/reconciliation/span-intake.ts';
import type { Logger } from '../platform/logger.ts';

export const OTLP_TRACES_PATH = '/otlp/v1/traces';

export interface OtlpReceiverOptions {
  token: string;
  maxBodyBytes: number;
  maxRequestsPerSecond: number;
  intake: SpanIntake;
  logger: Logger;
  /** Called with the spans read from each accepted export. */
  onSpans?: (count: number) => void;
}

class TooLarge extends Error {}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.pause();
        reject(new TooLarge());
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

const gunzipBounded = (body: Buffer, limit: number): Promise<Buffer> =>
  new Promise((resolve, reject) => gunzip(body, { maxOutputLength: limit }, (error, out) => (error ? reject(error instanceof RangeError ? new TooLarge() : error) : resolve(out))));

/** The OTLP error reply: a google.rpc.Status-like JSON body, or an empty protobuf one. */
function answer(res: ServerResponse, status: number, protobuf: boolean, message?: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  const body = protobuf ? Buffer.alloc(0) : Buffer.from(JSON.stringify(message === undefined ? {} : { code: status, message }));
  res.writeHead(status, { 'content-type': protobuf ? 'application/x-protobuf' : 'application/json', 'content-length': String(body.length), ...headers });
  res.end(body);
}

/** A bucket of `perSecond` tokens, refilled continuously. */
function tokenBucket(perSecond: number) {
  let tokens = perSecond;
  let at = Date.now();
  return {
    /** 0 when a request may pass now, else the ms until one may. */
    take(): number {
      const now = Date.now();
      tokens = Math.min(perSecond, tokens + ((now - at) / 1000) * perSecond);
      at = now;
      if (tokens >= 1) {
        tokens -= 1;
        return 0;
      }
      return Math.ceil(((1 - tokens) / perSecond) * 1000);
    },
  };
}

export function createOtlpReceiver(options: OtlpReceiverOptions): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const expected = Buffer.from(`Bearer ${options.token}`);
  const bucket = tokenBucket(options.maxRequestsPerSecond);

  const authorized = (header: string | undefined): boolean => {
    if (!header) return false;
    const given = Buffer.from(header);
    return given.length === expected.length && timingSafeEqual(given, expected);
  };

  return async function otlpTraces(req, res) {
    const contentType = String(req.headers['content-type'] ?? '').toLowerCase();
    const protobuf = contentType.includes('protobuf');
    // Whatever the answer, the request body is not read beyond what is needed: the socket closes after it.
    const refuse = (status: number, message: string, headers: Record<string, string> = {}) => {
      answer(res, status, protobuf, message, { ...headers, connection: 'close' });
      req.resume();
    };
    if (req.method !== 'POST') return refuse(405, 'POST only', { allow: 'POST' });
    if (!authorized(req.headers.authorization)) return refuse(401, 'a bearer token is required', { 'www-authenticate': 'Bearer' });
    const wait = bucket.take();
    if (wait > 0) return refuse(429, 'too many export requests', { 'retry-after': String(Math.max(1, Math.ceil(wait / 1000))) });
    if (!protobuf && !contentType.includes('json')) return refuse(415, 'content type must be application/x-protobuf or application/json');
    const declared = Number(req.headers['content-length'] ?? Number.NaN);
    if (Number.isFinite(declared) && declared > options.maxBodyBytes) return refuse(413, `the body exceeds ${options.maxBodyBytes} bytes`);

    let body: Buffer;
    try {
      body = await readBody(req, options.maxBodyBytes);
      const encoding = String(req.headers['content-encoding'] ?? 'identity').toLowerCase();
      if (encoding === 'gzip') body = await gunzipBounded(body, options.maxBodyBytes);
      else if (encoding !== 'identity') return refuse(415, `content encoding ${encoding} is not supported`);
    } catch (error) {
      if (error instanceof TooLarge) return refuse(413, `the body exceeds ${options.maxBodyBytes} bytes`);
      return refuse(400, 'the body could not be read');
    }

    try {
      const count = await options.intake.receiveExport(body, contentType);
      options.onSpans?.(count);
      answer(res, 200, protobuf);
    } catch (error) {
      const app = toAppError(error);
      if (app.code === 'INTERNAL') options.logger.error('OTLP export could not be stored', { cause: error });
      // The exporter retries 429 / 502 / 503 / 504 (OTLP/HTTP): a database that cannot take it now is 503.
      const status = app.code === 'BAD_INPUT' ? 400 : app.code === 'INTERNAL' ? 503 : HTTP_STATUS[app.code];
      answer(res, status, protobuf, app.code === 'INTERNAL' ? 'the spans could not be stored now; retry' : app.message, status === 503 ? { 'retry-after': '5' } : {});
    }
  };
}
