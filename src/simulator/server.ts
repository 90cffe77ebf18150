// A local server that speaks Cloudflare's unified AI REST API as the reference describes:
// /ai/v1/{chat/completions,responses,messages}, /ai/run, /ai/run/@cf/{model}, the gateway list,
// gateway headers, caching, error bodies and injectable faults. Replies are deterministic (reply.ts).
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { uuidv7 } from '../platform/ids.ts';
import {
  anthropicError,
  type ErrorReply,
  faultReply,
  gatewayError,
  methodNotAllowed,
  noRoute,
  openAiError,
  unauthorized,
  unknownGateway,
  v4Error,
} from './error-bodies.ts';
import { type Fault, FaultQueue, faultFromDirective, type FaultType } from './faults.ts';
import { BadSimRequest, type Frame, SIM_FORMATS, type SimFormat, type SimRequest } from './formats/index.ts';
import { MALFORMED_FRAME } from './formats/shared.ts';
import { DEFAULT_GATEWAY, GatewayRegistry } from './gateways.ts';
import { GatewayLogs, type LogsReply } from './gateway-logs.ts';
import { simulateReply } from './reply.ts';
import { modalityReply, parseModalityRequest, type ModalityReply, type ModalityRequest } from './modalities.ts';
import { DEFAULT_DYNAMIC_ROUTES, keptMetadata, neuronsFor, resolveRoute } from './model-routing.ts';
import { OtlpExporter, type OtlpExportConfig } from './otlp-exporter.ts';

export interface SimulatorOptions {
  /** 0 (default): any free port. */
  port?: number;
  host?: string;
  /** The bearer token required; default: any non-empty token. */
  token?: string;
  /** Existing gateways (default ['default']); "default" is auto-created on first use anyway. */
  gateways?: string[];
  /** Delay between stream frames (default 0). */
  chunkDelayMs?: number;
  /** Delay before every response's status line (default 0). */
  firstByteDelayMs?: number;
  /** Dynamic routes (route name -> model), over the defaults (support -> anthropic/claude-sonnet-4-5). */
  dynamicRoutes?: Record<string, string>;
  /** The gateway's OpenTelemetry export: where spans of the requests it serves are posted. */
  otlp?: OtlpExportConfig;
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** Parsed JSON body, or undefined. */
  body: unknown;
  at: number;
  /** Set when the client closed the connection before the response was complete. */
  clientClosed?: boolean;
  /** What the simulator did: the fault it applied (injected or by directive), or 'ok'. */
  outcome?: FaultType | 'ok';
}

export interface Simulator {
  /** e.g. http://127.0.0.1:PORT/client/v4 (use as CLOUDFLARE_API_BASE_URL). */
  baseUrl: string;
  port: number;
  requests: RecordedRequest[];
  openConnections(): number;
  /** Sockets closed so far (by either side). */
  readonly closedConnections: number;
  /** Resolves at the next socket close. */
  nextConnectionClose(): Promise<void>;
  injectFault(fault: Fault, opts?: { times?: number; match?: (r: RecordedRequest) => boolean }): void;
  /** The gateways' logs (one per request served through a gateway): lag, drop, alter, invent, faults. */
  logs: GatewayLogs;
  /** The gateways' OpenTelemetry export (configure, lag, drop, alter, duplicate). */
  otlp: OtlpExporter;
  /** Dynamic routes: route name -> the model it serves. */
  dynamicRoutes: Map<string, string>;
  clearFaults(): void;
  /** Clears faults, recorded requests, the cache and auto-created gateways. */
  reset(): void;
  close(): Promise<void>;
}

/** Large enough for MAX_AUDIO_BYTES of audio as base64 JSON. */
const BODY_LIMIT = 32 * 1024 * 1024;
const CACHE_TTL_MAX_S = 2_592_000;

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > BODY_LIMIT) req.destroy();
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

const header = (headers: IncomingHttpHeaders, name: string): string | undefined => {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
};

function bearer(headers: IncomingHttpHeaders): string | undefined {
  const auth = header(headers, 'authorization');
  const match = auth ? /^Bearer\s+(.+)$/i.exec(auth) : null;
  return match?.[1]?.trim() || header(headers, 'x-api-key')?.trim() || undefined;
}

/** Waits `ms`, resolving early (false) when the response closes. */
function wait(ms: number, res: ServerResponse): Promise<boolean> {
  if (ms <= 0) return Promise.resolve(!res.destroyed);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      res.off('close', onClose);
      resolve(!res.destroyed);
    }, ms);
    const onClose = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    res.once('close', onClose);
  });
}

const write = (res: ServerResponse, text: string): Promise<void> =>
  new Promise((resolve) => {
    if (res.destroyed) resolve();
    else res.write(text, () => resolve());
  });

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Where a fault goes within the frames: right after the Nth text delta (default 1). */
function faultPosition(frames: Frame[], afterChunks = 1): number {
  let seen = 0;
  let lastDelta = -1;
  for (let i = 0; i < frames.length; i++) {
    if (!frames[i]!.delta) continue;
    seen += 1;
    lastDelta = i;
    if (seen >= afterChunks) return i + 1;
  }
  return lastDelta === -1 ? Math.min(1, frames.length) : lastDelta + 1;
}

interface Endpoint {
  format: SimFormat;
  isRun: boolean;
  pathModel?: string;
  /** The path under the account, e.g. ai/v1/embeddings. */
  rest?: string;
}

type LogsEndpoint = { logs: string; logId?: string };

function matchEndpoint(rest: string): Endpoint | 'gateways' | LogsEndpoint | undefined {
  if (rest === 'ai-gateway/gateways') return 'gateways';
  const logs = /^ai-gateway\/gateways\/([^/]+)\/logs(?:\/([^/]+))?$/.exec(rest);
  if (logs) return { logs: decodeURIComponent(logs[1]!), ...(logs[2] !== undefined && { logId: decodeURIComponent(logs[2]) }) };
  if (rest === 'ai/v1/chat/completions') return { format: SIM_FORMATS['v1/chat/completions'], isRun: false };
  if (rest === 'ai/v1/responses') return { format: SIM_FORMATS['v1/responses'], isRun: false };
  if (rest === 'ai/v1/messages') return { format: SIM_FORMATS['v1/messages'], isRun: false };
  if (rest === 'ai/v1/embeddings') return { format: SIM_FORMATS['v1/chat/completions'], isRun: false, rest };
  if (rest === 'ai/run') return { format: SIM_FORMATS.run, isRun: true };
  if (rest.startsWith('ai/run/@cf/')) return { format: SIM_FORMATS.run, isRun: true, pathModel: decodeURIComponent(rest.slice('ai/run/'.length)) };
  return undefined;
}

export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const host = options.host ?? '127.0.0.1';
  const gateways = new GatewayRegistry(options.gateways ?? [DEFAULT_GATEWAY]);
  const faults = new FaultQueue<RecordedRequest>();
  const logs = new GatewayLogs();
  const otlp = new OtlpExporter();
  if (options.otlp) otlp.configure(options.otlp);
  const dynamicRoutes = new Map(Object.entries({ ...DEFAULT_DYNAMIC_ROUTES, ...options.dynamicRoutes }));
  const cache = new Map<string, { body: unknown; expires: number }>();
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  let closed = 0;
  let closeWaiters: Array<() => void> = [];

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 500, v4Error(500, 10001, 'Internal server error').body);
      else res.destroy(error instanceof Error ? error : undefined);
    });
  });
  server.keepAliveTimeout = 30_000;
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => {
      sockets.delete(socket);
      closed += 1;
      const waiters = closeWaiters;
      closeWaiters = [];
      for (const w of waiters) w();
    });
  });

  function replyError(res: ServerResponse, error: ErrorReply, extra: Record<string, string> = {}): void {
    sendJson(res, error.status, error.body, { ...extra, ...error.headers });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://simulator');
    const raw = await readBody(req);
    const text = raw.toString('utf8');
    let body: unknown;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      body = undefined;
    }
    const recorded: RecordedRequest = { method: req.method ?? 'GET', path: url.pathname, headers: req.headers, body, at: Date.now() };
    requests.push(recorded);
    res.on('close', () => {
      if (!res.writableFinished) recorded.clientClosed = true;
    });

    const match = /^\/client\/v4\/accounts\/([^/]+)\/(.+)$/.exec(url.pathname);
    const endpoint = match ? matchEndpoint(match[2]!.replace(/%40/gi, '@')) : undefined;
    if (!endpoint) return replyError(res, noRoute());
    const expectedMethod = endpoint === 'gateways' || 'logs' in endpoint ? 'GET' : 'POST';
    if (recorded.method !== expectedMethod) return replyError(res, methodNotAllowed(recorded.method));

    const token = bearer(req.headers);
    if (!token || (options.token !== undefined && token !== options.token)) return replyError(res, unauthorized());

    if (endpoint === 'gateways') return listGateways(res, url);
    if ('logs' in endpoint) {
      if (!gateways.resolve(endpoint.logs)) return replyError(res, unknownGateway());
      return sendLogsReply(res, endpoint.logId === undefined ? logs.listReply(endpoint.logs, url.searchParams) : logs.getReply(endpoint.logs, endpoint.logId));
    }

    // The request, parsed in the endpoint's own format (a non-text model's in its own: modalities.ts).
    let simReq: SimRequest;
    let modality: ModalityRequest | undefined;
    try {
      modality = parseModalityRequest(endpoint.rest ?? (endpoint.isRun ? 'ai/run' : ''), body, raw, endpoint.pathModel, url.searchParams);
      if (modality) simReq = { model: modality.model, messages: [{ role: 'user', content: modality.directiveText }], stream: false, includeUsage: false };
      else if (body === undefined) throw new BadSimRequest(text === '' ? 'request body is required' : 'request body is not valid JSON');
      else simReq = endpoint.format.parse(body, endpoint.pathModel);
    } catch (error) {
      if (!(error instanceof BadSimRequest)) throw error;
      const shape = endpoint.format.providerShape;
      return replyError(res, shape === 'anthropic' ? anthropicError(400, error.message) : shape === 'openai' ? openAiError(400, error.message) : v4Error(400, 5004, `Invalid data: ${error.message}`));
    }

    // The gateway, and the headers every gateway-routed reply carries.
    const gatewayHeader = header(req.headers, 'cf-aig-gateway-id');
    const viaGateway = gatewayHeader !== undefined || !simReq.model.startsWith('@cf/');
    const gatewayHeaders: Record<string, string> = {};
    let gatewayId = DEFAULT_GATEWAY;
    if (viaGateway) {
      gatewayId = gatewayHeader ?? DEFAULT_GATEWAY;
      if (!gateways.resolve(gatewayId)) return replyError(res, unknownGateway());
      const logId = uuidv7();
      gatewayHeaders['cf-aig-log-id'] = logId;
      gatewayHeaders['cf-aig-request-id'] = logId;
      gatewayHeaders['cf-aig-event-id'] = header(req.headers, 'cf-aig-event-id') ?? logId;
    }

    /** The gateway's log of this request (none when it bypassed the gateway), and its OpenTelemetry span. */
    const recordLog = (status: number, usage: { totalTokens: number; outputTokens: number } | null, cached = false): void => {
      if (!viaGateway) return;
      // Metadata the gateway keeps: none at all when one value was null or nested.
      const kept = keptMetadata(header(req.headers, 'cf-aig-metadata'));
      const metadata = kept === null ? null : JSON.stringify(kept);
      const traceId = header(req.headers, 'cf-aig-otel-trace-id');
      const log = logs.record(gatewayId, {
        eventId: header(req.headers, 'cf-aig-event-id') ?? null,
        logId: gatewayHeaders['cf-aig-log-id'],
        model: simReq.model,
        provider: simReq.model.startsWith('@cf/') ? 'workers-ai' : simReq.model.split('/')[0]!,
        path: match![2]!,
        status,
        cached,
        durationMs: Date.now() - recorded.at,
        tokensIn: usage ? usage.totalTokens - usage.outputTokens : null,
        tokensOut: usage ? usage.outputTokens : null,
        metadata,
        requestBytes: Buffer.byteLength(text),
        responseBytes: 0,
      });
      if (traceId && /^[0-9a-f]{32}$/i.test(traceId)) {
        const tokensIn = usage ? usage.totalTokens - usage.outputTokens : null;
        const tokensOut = usage ? usage.outputTokens : null;
        const success = status >= 200 && status < 300;
        otlp.record({
          traceId: traceId.toLowerCase(),
          ...(header(req.headers, 'cf-aig-otel-parent-span-id') && { parentSpanId: header(req.headers, 'cf-aig-otel-parent-span-id') }),
          requestedModel,
          servedModel: simReq.model,
          provider: simReq.model.startsWith('@cf/') ? 'workers-ai' : simReq.model.split('/')[0]!,
          status,
          tokensIn,
          tokensOut,
          cost: log ? log.cost : success && tokensIn !== null && tokensOut !== null ? (cached ? 0 : logs.costOf(simReq.model, tokensIn, tokensOut)) : null,
          metadata: kept,
          startedAt: recorded.at,
          endedAt: Date.now(),
        });
      }
    };

    // A route names the model that serves the call (dynamic/<route>, cloudflare/auto).
    const requestedModel = simReq.model;
    const route = viaGateway ? resolveRoute(simReq.model, dynamicRoutes, header(req.headers, 'cf-aig-allowed-models')) : undefined;
    if (route && !route.ok) {
      recordLog(route.status, null);
      return replyError(res, gatewayError(route.status, route.code, route.message), gatewayHeaders);
    }
    if (route) {
      Object.assign(gatewayHeaders, route.headers);
      simReq = { ...simReq, model: route.model };
    }

    const lastUser = [...simReq.messages].reverse().find((m) => m.role === 'user');
    const fault = faults.take(recorded) ?? faultFromDirective(lastUser?.content ?? '');
    recorded.outcome = fault?.type ?? 'ok';
    const early = fault ? faultReply(fault, { isRun: endpoint.isRun, providerShape: endpoint.format.providerShape }) : undefined;

    const requestTimeout = Number(header(req.headers, 'cf-aig-request-timeout') ?? Number.NaN);
    const firstByteDelay = (options.firstByteDelayMs ?? 0) + (fault?.type === 'slow_first_byte' ? (fault.ms ?? 1_000) : 0);
    if (Number.isFinite(requestTimeout) && requestTimeout > 0 && firstByteDelay > requestTimeout) {
      if (!(await wait(requestTimeout, res))) return;
      recordLog(504, null);
      return replyError(res, gatewayError(504, 2007, 'Request timed out waiting for the provider'), gatewayHeaders);
    }
    if (!(await wait(firstByteDelay, res))) return;
    if (early) {
      recordLog(early.status, null);
      return replyError(res, early, gatewayHeaders);
    }

    if (modality) return sendModality(res, modality, fault, gatewayHeaders, recordLog, endpoint);

    const reply = simulateReply(simReq);
    // Workers AI reports what it billed in neurons.
    if (simReq.model.startsWith('@cf/')) gatewayHeaders['cf-ai-neurons'] = neuronsFor(reply.usage.totalTokens - reply.usage.outputTokens, reply.usage.outputTokens);
    const ctx = { id: `${endpoint.format.idPrefix}${uuidv7().replace(/-/g, '').slice(-24)}`, created: Math.floor(Date.now() / 1000) };

    if (!simReq.stream) {
      // Caching: non-streamed requests that opt in with cf-aig-cache-ttl or cf-aig-cache-key.
      const ttlHeader = Number(header(req.headers, 'cf-aig-cache-ttl') ?? Number.NaN);
      const cacheKeyHeader = header(req.headers, 'cf-aig-cache-key');
      const skip = header(req.headers, 'cf-aig-skip-cache') === 'true';
      const cacheable = viaGateway && !skip && ((Number.isFinite(ttlHeader) && ttlHeader > 0) || cacheKeyHeader !== undefined);
      const key = `${gatewayId}|${match![2]}|${cacheKeyHeader ?? JSON.stringify(body)}`;
      const hit = cacheable ? cache.get(key) : undefined;
      if (hit && hit.expires > Date.now()) {
        recordLog(200, reply.usage, true);
        return sendJson(res, 200, hit.body, { ...gatewayHeaders, 'cf-aig-cache-status': 'HIT' });
      }
      const json = endpoint.format.json(reply, ctx, simReq);
      if (cacheable) {
        const ttl = Math.min(CACHE_TTL_MAX_S, Math.max(60, Number.isFinite(ttlHeader) && ttlHeader > 0 ? ttlHeader : 300));
        cache.set(key, { body: json, expires: Date.now() + ttl * 1000 });
      }
      if (viaGateway) gatewayHeaders['cf-aig-cache-status'] = 'MISS';
      recordLog(fault?.type === 'error_frame' ? 500 : 200, fault?.type === 'error_frame' ? null : reply.usage);
      if (fault?.type === 'malformed_chunk') {
        res.writeHead(200, { 'content-type': 'application/json', ...gatewayHeaders });
        return void res.end('{"malformed": ');
      }
      if (fault?.type === 'cut_stream') {
        res.writeHead(200, { 'content-type': 'application/json', ...gatewayHeaders });
        const whole = JSON.stringify(json);
        await write(res, whole.slice(0, Math.floor(whole.length / 2)));
        if (fault.clean) res.end();
        else res.socket?.destroy();
        return;
      }
      if (fault?.type === 'error_frame') return replyError(res, v4Error(500, 10001, 'Internal server error'), gatewayHeaders);
      return sendJson(res, 200, json, gatewayHeaders);
    }

    // Streaming: frames, shaped by the fault if any.
    if (viaGateway) gatewayHeaders['cf-aig-cache-status'] = 'MISS';
    recordLog(200, reply.usage);
    let frames = endpoint.format.frames(reply, ctx, simReq);
    let cutAt: number | undefined;
    let clean = false;
    if (fault?.type === 'cut_stream') {
      cutAt = faultPosition(frames, fault.afterChunks);
      clean = fault.clean === true;
      frames = frames.slice(0, cutAt);
    } else if (fault?.type === 'error_frame') {
      frames = [...frames.slice(0, faultPosition(frames, fault.afterChunks)), endpoint.format.errorFrame(ctx)];
    } else if (fault?.type === 'malformed_chunk') {
      const at = faultPosition(frames, fault.afterChunks);
      frames = [...frames.slice(0, at), MALFORMED_FRAME, ...frames.slice(at)];
    }
    const delay = fault?.type === 'slow_stream' ? (fault.ms ?? 200) : (options.chunkDelayMs ?? 0);

    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', ...gatewayHeaders });
    res.flushHeaders();
    for (const frame of frames) {
      if (delay > 0 && !(await wait(delay, res))) return;
      if (res.destroyed) return;
      await write(res, frame.text);
    }
    if (cutAt !== undefined && !clean) {
      res.socket?.destroy();
      return;
    }
    res.end();
  }

  /** A non-text model's reply; the faults that shape a body cut it, corrupt it or replace it by an error. */
  async function sendModality(
    res: ServerResponse,
    request: ModalityRequest,
    fault: Fault | undefined,
    gatewayHeaders: Record<string, string>,
    recordLog: (status: number, usage: { totalTokens: number; outputTokens: number } | null) => void,
    endpoint: Endpoint,
  ): Promise<void> {
    let reply: ModalityReply;
    try {
      reply = modalityReply(request);
    } catch (error) {
      if (!(error instanceof BadSimRequest)) throw error;
      recordLog(400, null);
      return replyError(res, endpoint.format.providerShape === 'openai' && request.openAi ? openAiError(400, error.message) : v4Error(400, 5004, `Invalid data: ${error.message}`), gatewayHeaders);
    }
    if (Object.keys(gatewayHeaders).length > 0) gatewayHeaders['cf-aig-cache-status'] = 'MISS';
    if (fault?.type === 'error_frame') {
      recordLog(500, null);
      return replyError(res, v4Error(500, 10001, 'Internal server error'), gatewayHeaders);
    }
    recordLog(200, reply.tokensIn === null ? null : { totalTokens: reply.tokensIn, outputTokens: 0 });
    if (fault?.type === 'malformed_chunk') {
      res.writeHead(200, { 'content-type': reply.contentType, ...gatewayHeaders });
      return void res.end(reply.contentType.includes('json') ? '{"malformed": ' : reply.body.subarray(0, 8));
    }
    if (fault?.type === 'cut_stream') {
      res.writeHead(200, { 'content-type': reply.contentType, 'content-length': reply.body.length, ...gatewayHeaders });
      await new Promise<void>((resolve) => res.write(reply.body.subarray(0, Math.floor(reply.body.length / 2)), () => resolve()));
      if (fault.clean) res.end();
      else res.socket?.destroy();
      return;
    }
    if (res.destroyed) return;
    res.writeHead(200, { 'content-type': reply.contentType, 'content-length': reply.body.length, ...gatewayHeaders });
    res.end(reply.body);
  }

  function sendLogsReply(res: ServerResponse, reply: LogsReply): void {
    if (reply.raw !== undefined) {
      res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
      res.end(reply.raw);
      return;
    }
    sendJson(res, reply.status, reply.body, reply.headers);
  }

  function listGateways(res: ServerResponse, url: URL): void {
    const page = Math.max(1, Number(url.searchParams.get('page') ?? 1) || 1);
    const perPage = Math.min(100, Math.max(1, Number(url.searchParams.get('per_page') ?? 20) || 20));
    const all = gateways.list();
    const slice = all.slice((page - 1) * perPage, page * perPage);
    sendJson(res, 200, {
      success: true,
      errors: [],
      messages: [],
      result: slice,
      result_info: { page, per_page: perPage, count: slice.length, total_count: all.length },
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : (options.port ?? 0);
  const urlHost = host.includes(':') ? `[${host}]` : host;

  return {
    baseUrl: `http://${urlHost}:${port}/client/v4`,
    port,
    requests,
    openConnections: () => sockets.size,
    get closedConnections() {
      return closed;
    },
    nextConnectionClose: () => new Promise<void>((resolve) => closeWaiters.push(resolve)),
    injectFault: (fault, opts) => faults.add(fault, opts),
    logs,
    otlp,
    dynamicRoutes,
    clearFaults: () => faults.clear(),
    reset() {
      faults.clear();
      logs.clear();
      otlp.clear();
      requests.length = 0;
      cache.clear();
      gateways.reset();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
