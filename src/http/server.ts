// One node:http server: /graphql (yoga), /trpc (tRPC), the drop-in SDK routes under /v1/, the
// OTLP receiver, /healthz, /readyz, /metrics, and the WebSocket upgrades routed by path. One body
// is read in front of a framework: a single tRPC query or mutation, by the tRPC fast path
// (trpc/fast-path.ts, tRPC's public API only); everything else reaches yoga or tRPC unread.
// Every request gets an x-request-id (the client's, or a new one), echoed on the response and on
// every log line written while it is served, and one access line when it ends.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import { applyWSSHandler, type CreateWSSContextFnOptions } from '@trpc/server/adapters/ws';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Principal } from '../domain/access/principal.ts';
import { attachGraphQLWebSocket } from '../graphql/ws.ts';
import type { DashboardHandler } from './dashboard-static.ts';
import type { GraphiQLPage } from '../graphql/graphiql-page.ts';
import type { GraphQLHandler } from '../graphql/yoga.ts';
import { applyCors, metricsAuthorized } from './http-policy.ts';
import { retryAfterHeader, unavailable } from '../platform/errors.ts';
import type { Logger } from '../platform/logger.ts';
import type { Metrics } from '../platform/metrics.ts';
import { noteRequest, requestIdFrom, runWithRequest, type RequestContext } from '../platform/request-context.ts';
import type { SocketGuard } from './socket-guard.ts';
import { appErrorOf } from '../trpc/errors.ts';
import { createTrpcFastPath } from '../trpc/fast-path.ts';
import type { TRPCError } from '@trpc/server';
import type { createContextFactory } from '../trpc/init.ts';
import type { AppRouter } from '../trpc/router.ts';
import { withRequestSpan } from '../platform/tracing.ts';
import type { CompatHandler } from './compat-handler.ts';

export interface ServerDeps {
  yoga: GraphQLHandler;
  router: AppRouter;
  createContext: ReturnType<typeof createContextFactory>;
  metrics: Metrics;
  logger: Logger;
  ready: () => Promise<void>;
  maxBodyBytes: number;
  /** The wider limit of the operations that take audio (tRPC /trpc/transcribe; GraphQL POSTs, checked per operation by yoga). */
  maxMediaBodyBytes?: number;
  /** The /dashboard page. */
  dashboard?: DashboardHandler;
  /** The largest tRPC batch; a bigger one is refused whole. */
  trpcMaxBatch: number;
  /** false: every request through tRPC's own handler (the fast path's test compares them). */
  fastPaths?: boolean;
  /** /metrics needs `Authorization: Bearer <token>` when set. */
  metricsToken?: string;
  corsOrigins: readonly string[];
  sockets: SocketGuard;
  authenticate: (authorization: string | undefined) => Promise<Principal>;
  /** GraphiQL compressed and cacheable (graphiql-page.ts); absent: yoga's own page. */
  graphiqlPage?: GraphiQLPage | undefined;
  /** The drop-in SDK surfaces under /v1/ (http/compat-handler.ts); they answer in their SDK's envelope. */
  compat?: CompatHandler;
  /** More exact paths with handlers of their own (e.g. /otlp/v1/traces), each doing its own authentication. */
  routes?: ReadonlyMap<string, (req: IncomingMessage, res: ServerResponse) => Promise<void>>;
}

export interface HttpServer {
  server: Server;
  /**
   * Drain: /readyz answers 503 and new work is refused while requests in flight finish, for up to
   * graceMs; then sockets are cut and the listener closes.
   */
  shutdown(graceMs: number): Promise<void>;
}

export function createHttpServer(deps: ServerDeps): HttpServer {
  const allowedOrigins = new Set(deps.corsOrigins);
  const onTrpcError = ({ error }: { error: TRPCError }) => {
    const code = appErrorOf(error).code;
    deps.metrics.error('trpc', code);
    noteRequest({ appCode: code });
  };
  const trpc = createHTTPHandler({
    router: deps.router,
    basePath: '/trpc/',
    createContext: deps.createContext,
    maxBodySize: deps.maxBodyBytes,
    maxBatchSize: deps.trpcMaxBatch,
    onError: onTrpcError,
  });
  // transcribe takes audio: its own handler with the media body limit.
  const trpcMedia = deps.maxMediaBodyBytes
    ? createHTTPHandler({ router: deps.router, basePath: '/trpc/', createContext: deps.createContext, maxBodySize: deps.maxMediaBodyBytes, maxBatchSize: 1, onError: onTrpcError })
    : trpc;
  const mediaPath = (path: string) => deps.maxMediaBodyBytes !== undefined && (path === '/trpc/transcribe' || path === '/graphql');
  // Single queries and mutations skip the adapter's Fetch objects (fast-path.ts); the rest goes to tRPC's handler.
  const trpcFast = deps.fastPaths === false ? () => undefined : createTrpcFastPath({ router: deps.router, basePath: '/trpc/', createContext: deps.createContext, onError: onTrpcError });
  let inFlight = 0;
  let draining = false;
  let drained: (() => void) | undefined;

  const server = createServer((req, res) => {
    const context: RequestContext = { requestId: requestIdFrom(req.headers['x-request-id']), operations: [] };
    const started = performance.now();
    res.setHeader('x-request-id', context.requestId);
    inFlight++;
    res.once('close', () => {
      inFlight--;
      accessLine(req, res, context, started);
      if (inFlight === 0) drained?.();
    });
    runWithRequest(context, () =>
      withRequestSpan(req, res, () => route(req, res)).catch((error: unknown) => failAlone(res, error)),
    );
  });

  /** An error that escaped a handler: this request fails alone (INTERNAL), counted and logged. */
  function failAlone(res: ServerResponse, error: unknown): void {
    deps.metrics.internal('http');
    noteRequest({ appCode: 'INTERNAL' });
    deps.logger.error('internal error escaped a request handler', { cause: error });
    if (res.destroyed) return;
    if (!res.headersSent) sendJson(res, 500, { error: { code: 'INTERNAL', message: 'Internal error' } });
    else res.destroy();
  }

  function accessLine(req: IncomingMessage, res: ServerResponse, context: RequestContext, started: number): void {
    const path = (req.url ?? '/').split('?', 1)[0]!;
    runWithRequest(context, () =>
      deps.logger.info('request', {
        method: req.method,
        path: path.slice(0, 200),
        operation: context.operations.join(',') || undefined,
        userId: context.userId,
        status: res.statusCode,
        code: context.appCode,
        durationMs: Math.round((performance.now() - started) * 10) / 10,
        ...(!res.writableFinished && { aborted: true }),
      }),
    );
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?', 1)[0]!;
    if (path === '/healthz') return sendJson(res, 200, { status: draining ? 'draining' : 'ok' });
    if (path === '/readyz') {
      if (draining) return sendJson(res, 503, { status: 'draining' });
      const ready = await deps.ready().then(
        () => true,
        () => false,
      );
      return sendJson(res, ready ? 200 : 503, { status: ready ? 'ready' : 'database unavailable' });
    }
    if (draining) {
      res.setHeader('connection', 'close');
      const error = unavailable('Server is shutting down: retry on another instance');
      res.setHeader('retry-after', retryAfterHeader(error)!);
      return sendJson(res, 503, { error: { code: error.code, message: error.message, retryAfterMs: error.details.retryAfterMs } });
    }
    if (path === '/metrics') {
      if (!metricsAuthorized(req, deps.metricsToken)) {
        res.setHeader('www-authenticate', 'Bearer');
        return sendJson(res, 401, { error: { code: 'UNAUTHENTICATED', message: 'A valid metrics token is required (Authorization: Bearer <METRICS_TOKEN>)' } });
      }
      const body = await deps.metrics.registry.metrics();
      res.writeHead(200, { 'content-type': deps.metrics.registry.contentType });
      res.end(body);
      return;
    }
    if (!applyCors(req, res, allowedOrigins)) return;
    const compat = deps.compat?.(req, res, path);
    if (compat) return compat;
    const declared = Number(req.headers['content-length'] ?? 0);
    const bodyLimit = mediaPath(path) ? deps.maxMediaBodyBytes! : deps.maxBodyBytes;
    if (declared > bodyLimit) {
      res.setHeader('connection', 'close');
      return sendJson(res, 413, {
        errors: [{ message: `Request body over ${bodyLimit} bytes`, extensions: { code: 'BAD_INPUT', field: 'body' } }],
      });
    }
    if (deps.graphiqlPage?.wants(req, path)) return deps.graphiqlPage.serve(req, res);
    if (path === '/graphql' || path.startsWith('/graphql/')) {
      await deps.yoga(req, res);
      return;
    }
    if (path === '/trpc/transcribe') return trpcFast(req, res) ?? trpcMedia(req, res);
    if (path === '/trpc' || path.startsWith('/trpc/')) return trpcFast(req, res) ?? trpc(req, res);
    if (deps.dashboard && (path === '/dashboard' || path.startsWith('/dashboard/'))) return deps.dashboard(req, res);
    const extra = deps.routes?.get(path);
    if (extra) return extra(req, res);
    sendJson(res, 404, { error: { code: 'NOT_FOUND', message: `No route for ${path}` } });
  }

  const graphqlWss = new WebSocketServer({ noServer: true, maxPayload: deps.maxBodyBytes });
  const trpcWss = new WebSocketServer({ noServer: true, maxPayload: deps.maxBodyBytes });
  attachGraphQLWebSocket(deps.yoga, graphqlWss, { sockets: deps.sockets, authenticate: deps.authenticate });
  const trpcWsHandler = applyWSSHandler({
    wss: trpcWss,
    router: deps.router,
    // A socket is authenticated when it connects, from its connection params (or its upgrade's
    // header). Without a valid key its calls answer UNAUTHENTICATED until the guard closes it (4401).
    createContext: async (opts: CreateWSSContextFnOptions) => {
      const context = deps.createContext(opts);
      const principal = await deps.authenticate(context.authorization).catch(() => undefined);
      if (principal) deps.sockets.admit(opts.res as WebSocket, principal);
      return context;
    },
    keepAlive: { enabled: true, pingMs: 30_000, pongWaitMs: 5_000 },
    maxBatchSize: deps.trpcMaxBatch,
  });
  for (const wss of [graphqlWss, trpcWss]) {
    wss.on('connection', (ws: WebSocket) => {
      deps.sockets.watch(ws);
      // A protocol error (bad frame, oversized message) ends this socket alone.
      ws.on('error', () => ws.terminate());
    });
    wss.on('error', (error: unknown) => {
      deps.metrics.internal('websocket');
      deps.logger.error('websocket server error', { cause: error });
    });
  }

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const path = (req.url ?? '/').split('?', 1)[0];
    const wss = path === '/graphql' ? graphqlWss : path === '/trpc' || path === '/trpc/' ? trpcWss : undefined;
    if (!wss || draining) {
      socket.end(`HTTP/1.1 ${draining ? '503 Service Unavailable' : '404 Not Found'}\r\nconnection: close\r\n\r\n`);
      return;
    }
    const origin = req.headers.origin;
    if (origin && !allowedOrigins.has(origin) && origin !== `http://${req.headers.host}` && origin !== `https://${req.headers.host}`) {
      socket.end('HTTP/1.1 403 Forbidden\r\nconnection: close\r\n\r\n');
      return;
    }
    const requestId = requestIdFrom(req.headers['x-request-id']);
    wss.once('headers', (headers) => headers.push(`x-request-id: ${requestId}`));
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  async function shutdown(graceMs: number): Promise<void> {
    draining = true;
    trpcWsHandler.broadcastReconnectNotification();
    for (const wss of [graphqlWss, trpcWss]) for (const ws of wss.clients) ws.close(1001, 'server shutting down');
    server.closeIdleConnections();
    if (inFlight > 0) {
      await Promise.race([
        new Promise<void>((resolve) => (drained = resolve)),
        new Promise<void>((resolve) => setTimeout(resolve, graceMs).unref()),
      ]);
    }
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const wss of [graphqlWss, trpcWss]) for (const ws of wss.clients) ws.terminate();
    server.closeAllConnections();
    await closed;
  }

  return { server, shutdown };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
