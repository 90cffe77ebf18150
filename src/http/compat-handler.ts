// The node:http edge of the drop-in SDK surfaces (/v1/...): authenticates the Switchboard key
// (`Authorization: Bearer` or `x-api-key`), reads the JSON body within MAX_BODY_BYTES, hands the
// call to its route (src/compat/) and answers every failure in the route's SDK envelope and
// status. Balance headers go on every successful answer (with the first frame of a stream).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { balanceHeaders } from './balance-headers.ts';
import { COMPAT_ROUTES } from '../compat/routes.ts';
import type { CompatCall, CompatRoute, Envelope, EventSink, Json } from '../compat/route.ts';
import { errorBody, errorHeaders, statusOf } from '../compat/error-envelopes.ts';
import type { Principal } from '../domain/access/principal.ts';
import type { Services } from '../domain/services.ts';
import { AppError, badInput, toAppError } from '../platform/errors.ts';
import type { Logger } from '../platform/logger.ts';
import { clientGone } from './node-request.ts';
import { noteRequest } from '../platform/request-context.ts';

export interface CompatHandlerDeps {
  services: Services;
  logger: Logger;
  maxBodyBytes: number;
  routes?: readonly CompatRoute[];
}

const header = (req: IncomingMessage, name: string): string | undefined => {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
};

/** The key as the access service reads it: the Authorization header, else x-api-key as a bearer key. */
function authorizationOf(req: IncomingMessage): string | undefined {
  const authorization = header(req, 'authorization');
  if (authorization) return authorization;
  const key = header(req, 'x-api-key');
  return key ? `Bearer ${key}` : undefined;
}

/** The body as JSON within the byte limit: an object, else BAD_INPUT (413 over the limit). */
function readJson(req: IncomingMessage, limit: number): Promise<Json> {
  const tooLarge = () => new AppError('BAD_INPUT', `Request body over ${limit} bytes`, { field: 'body' });
  if (Number(req.headers['content-length'] ?? 0) > limit) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) over = true;
      else chunks.push(chunk);
    });
    req.once('error', reject);
    req.once('end', () => {
      if (over) return reject(tooLarge());
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch (cause) {
        return reject(badInput('body', 'The request body must be JSON', cause));
      }
      if (typeof body !== 'object' || body === null || Array.isArray(body)) return reject(badInput('body', 'The request body must be a JSON object'));
      resolve(body as Json);
    });
  });
}

/** x-switchboard-tags: a JSON object (checked as `metadata` by the input schema). */
function tagsOf(req: IncomingMessage): unknown {
  const raw = header(req, 'x-switchboard-tags');
  if (raw === undefined) return undefined;
  try {
    return JSON.parse(raw) as unknown;
  } catch (cause) {
    throw badInput('metadata', 'x-switchboard-tags must be a JSON object', cause);
  }
}

export function createCompatHandler({ services, logger, maxBodyBytes, routes = COMPAT_ROUTES }: CompatHandlerDeps) {
  const byPath = new Map<string, CompatRoute[]>();
  for (const route of routes) byPath.set(route.path, [...(byPath.get(route.path) ?? []), route]);

  async function balance(principal: Principal): Promise<Array<[string, string]>> {
    try {
      return balanceHeaders(await services.balance.remaining(principal));
    } catch (error) {
      logger.warn('balance headers unavailable', { cause: error instanceof Error ? error : new Error(String(error)) });
      return [];
    }
  }

  function sendError(res: ServerResponse, envelope: Envelope, error: AppError): void {
    const text = JSON.stringify(errorBody(envelope, error));
    const status = statusOf(error);
    res.writeHead(status, { ...errorHeaders(error), 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...(status === 401 && { 'www-authenticate': 'Bearer' }) });
    res.end(text);
  }

  /** An event stream whose head (status, content type, balance) goes out with the first frame. */
  function eventSink(res: ServerResponse, principal: Principal) {
    let opening: Promise<void> | undefined;
    let queue: string[] | undefined = [];
    const open = () =>
      (opening ??= balance(principal).then((headers) => {
        if (res.destroyed) return;
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', ...Object.fromEntries(headers) });
        for (const frame of queue ?? []) res.write(frame);
        queue = undefined;
      }));
    const sink: EventSink & { opened(): Promise<void> } = {
      get started() {
        return opening !== undefined;
      },
      write(frame) {
        if (queue) {
          queue.push(frame);
          void open();
        } else if (!res.destroyed) res.write(frame);
      },
      opened: open,
    };
    return sink;
  }

  async function serve(req: IncomingMessage, res: ServerResponse, route: CompatRoute | undefined, envelope: Envelope, path: string): Promise<void> {
    let sink: ReturnType<typeof eventSink> | undefined;
    try {
      if (!route) throw new AppError('NOT_FOUND', `No route for ${req.method ?? 'GET'} ${path}`);
      const principal = await services.access.authenticate(authorizationOf(req));
      noteRequest({ operation: route.operation, userId: principal.userId });
      const body = route.method === 'POST' ? await readJson(req, maxBodyBytes) : {};
      const signal = clientGone(req, res);
      const call: CompatCall = {
        services,
        principal,
        anthropicClient: header(req, 'anthropic-version') !== undefined,
        body,
        options: ({ streaming, extraBody, wire }) => ({
          transport: `${route.surface.toLowerCase()}-${streaming ? 'sse' : 'http'}`,
          surface: route.surface,
          signal,
          idempotencyKey: header(req, 'idempotency-key'),
          ...(extraBody && { extraBody }),
          ...(wire && { wire }),
        }),
        headerInput: () => {
          const gatewayId = header(req, 'x-switchboard-gateway-id');
          const metadata = tagsOf(req);
          return { ...(gatewayId !== undefined && { gatewayId }), ...(metadata !== undefined && { metadata }) };
        },
        async json(reply) {
          const text = typeof reply === 'string' ? reply : JSON.stringify(reply);
          const headers = await balance(principal);
          if (res.destroyed) return;
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...Object.fromEntries(headers) });
          res.end(text);
        },
        events: () => (sink = eventSink(res, principal)),
        async endEvents() {
          await sink?.opened();
          if (!res.destroyed) res.end();
        },
      };
      await route.serve(call);
    } catch (thrown) {
      const error = toAppError(thrown);
      noteRequest({ appCode: error.code });
      if (error.code === 'INTERNAL') logger.error('internal error', { cause: error.cause ?? error });
      if (res.destroyed) return;
      if (sink?.started) {
        await sink.opened();
        if (route?.errorFrame && !res.destroyed) res.write(route.errorFrame(error));
        res.end();
      } else if (!res.headersSent) sendError(res, envelope, error);
      else res.end();
    }
  }

  /** Takes /v1/... requests (a promise that never rejects), or returns undefined for other paths. */
  return function take(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> | undefined {
    if (!path.startsWith('/v1/')) return undefined;
    const candidates = byPath.get(path);
    const route = candidates?.find((r) => r.method === req.method);
    const envelope = route?.envelope ?? candidates?.[0]?.envelope ?? (path.startsWith('/v1/messages') ? 'anthropic' : 'openai');
    return serve(req, res, route, envelope, path);
  };
}

export type CompatHandler = ReturnType<typeof createCompatHandler>;
