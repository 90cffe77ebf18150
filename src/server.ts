// One node:http server: /graphql (yoga), /trpc (tRPC), /healthz, /readyz, /metrics, and the
// WebSocket upgrades routed by path. Nothing reads a body in front of yoga or tRPC.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import { applyWSSHandler } from '@trpc/server/adapters/ws';
import { WebSocketServer } from 'ws';
import { attachGraphQLWebSocket } from './graphql/ws.ts';
import type { GraphiQLPage } from './graphql/graphiql-page.ts';
import type { GraphQLHandler } from './graphql/yoga.ts';
import type { Metrics } from './metrics.ts';
import type { createContextFactory } from './trpc/init.ts';
import type { AppRouter } from './trpc/router.ts';
import { withRequestSpan } from './tracing.ts';

export interface ServerDeps {
  yoga: GraphQLHandler;
  router: AppRouter;
  createContext: ReturnType<typeof createContextFactory>;
  metrics: Metrics;
  ready: () => Promise<void>;
  maxBodyBytes: number;
  /** GraphiQL compressed and cacheable (graphiql-page.ts); absent: yoga's own page. */
  graphiqlPage?: GraphiQLPage | undefined;
}

export interface HttpServer {
  server: Server;
  /** Stop accepting, let requests in flight finish for up to graceMs, then cut what is left. */
  shutdown(graceMs: number): Promise<void>;
}

export function createHttpServer(deps: ServerDeps): HttpServer {
  const trpc = createHTTPHandler({
    router: deps.router,
    basePath: '/trpc/',
    createContext: deps.createContext,
    maxBodySize: deps.maxBodyBytes,
  });
  let inFlight = 0;
  let drained: (() => void) | undefined;

  const server = createServer((req, res) => {
    inFlight++;
    res.once('close', () => {
      inFlight--;
      if (inFlight === 0) drained?.();
    });
    withRequestSpan(req, res, () => route(req, res)).catch(() => {
      if (!res.headersSent) sendJson(res, 500, { error: { code: 'INTERNAL', message: 'Internal error' } });
      else res.destroy();
    });
  });

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?', 1)[0]!;
    if (path === '/healthz') return sendJson(res, 200, { status: 'ok' });
    if (path === '/readyz') {
      const ready = await deps.ready().then(
        () => true,
        () => false,
      );
      return sendJson(res, ready ? 200 : 503, { status: ready ? 'ready' : 'database unavailable' });
    }
    if (path === '/metrics') {
      const body = await deps.metrics.registry.metrics();
      res.writeHead(200, { 'content-type': deps.metrics.registry.contentType });
      res.end(body);
      return;
    }
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > deps.maxBodyBytes) {
      res.setHeader('connection', 'close');
      return sendJson(res, 413, {
        errors: [{ message: `Request body over ${deps.maxBodyBytes} bytes`, extensions: { code: 'BAD_INPUT', field: 'body' } }],
      });
    }
    if (deps.graphiqlPage?.wants(req, path)) return deps.graphiqlPage.serve(req, res);
    if (path === '/graphql' || path.startsWith('/graphql/')) {
      await deps.yoga(req, res);
      return;
    }
    if (path === '/trpc' || path.startsWith('/trpc/')) return trpc(req, res);
    sendJson(res, 404, { error: { code: 'NOT_FOUND', message: `No route for ${path}` } });
  }

  const graphqlWss = new WebSocketServer({ noServer: true, maxPayload: deps.maxBodyBytes });
  const trpcWss = new WebSocketServer({ noServer: true, maxPayload: deps.maxBodyBytes });
  attachGraphQLWebSocket(deps.yoga, graphqlWss);
  const trpcWsHandler = applyWSSHandler({ wss: trpcWss, router: deps.router, createContext: deps.createContext, keepAlive: { enabled: true, pingMs: 30_000, pongWaitMs: 5_000 } });

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = (req.url ?? '/').split('?', 1)[0];
    const wss = path === '/graphql' ? graphqlWss : path === '/trpc' || path === '/trpc/' ? trpcWss : undefined;
    if (!wss) {
      socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  async function shutdown(graceMs: number): Promise<void> {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    trpcWsHandler.broadcastReconnectNotification();
    for (const wss of [graphqlWss, trpcWss]) for (const ws of wss.clients) ws.close(1001, 'server shutting down');
    server.closeIdleConnections();
    if (inFlight > 0) {
      await Promise.race([
        new Promise<void>((resolve) => (drained = resolve)),
        new Promise<void>((resolve) => setTimeout(resolve, graceMs).unref()),
      ]);
    }
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
