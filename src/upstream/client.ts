// The upstream client: the only user of undici. One keep-alive Agent; four endpoints (plus the
// legacy /ai/run/@cf path) behind one normalized request, result and event stream.
import { Agent, request, type Dispatcher } from 'undici';
import { abortError, errorFromNetwork, errorFromResponse, protocolError, UpstreamError } from './errors.ts';
import { WIRE_FORMATS } from './formats/index.ts';
import type { WireFormat } from './formats/index.ts';
import { gatewayHeaders, readGatewayMeta } from './headers.ts';
import { traceHeaders } from '../platform/tracing.ts';
import { retryDelay, sleep, type RetryPolicy } from './retry.ts';
import { createRouter } from './routing.ts';
import { DeltaBatcher } from './delta-batching.ts';
import { SseParser } from './sse.ts';
import { emptyUsage } from './call-vocabulary.ts';
import type {
  UpstreamApi,
  UpstreamClient,
  UpstreamEvent,
  UpstreamRequest,
  UpstreamResult,
  UpstreamStream,
} from './call-vocabulary.ts';
import { validateUpstreamRequest } from './validate.ts';
import { modalityWire, parseModalityReply } from './formats/modalities.ts';
import type { ModalityTask } from './call-vocabulary.ts';

export { validateUpstreamRequest } from './validate.ts';

export interface UpstreamConfig {
  /** e.g. https://api.cloudflare.com/client/v4 */
  baseUrl: string;
  accountId: string;
  apiToken: string;
  /** Headers timeout and idle body timeout per call. */
  timeoutMs: number;
  connectTimeoutMs: number;
  maxRetries: number;
  maxConnections: number;
  /** prefix -> api, merged over the defaults (anthropic/ -> MESSAGES; "*" replaces the fallback). */
  routes?: Record<string, UpstreamApi>;
  /** Backoff base (default 250 ms) and the longest wait before a retry (default 5 s). */
  retryBaseDelayMs?: number;
  retryMaxDelayMs?: number;
  /** Idle keep-alive time of pooled sockets (default 30 s). */
  keepAliveTimeoutMs?: number;
}

const MAX_ERROR_BODY_BYTES = 64 * 1024;

type ResponseData = Dispatcher.ResponseData;

async function readText(body: ResponseData['body'], limit = Number.POSITIVE_INFINITY): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    chunks.push(chunk);
    size += chunk.length;
    if (size > limit) {
      body.destroy();
      break;
    }
  }
  return Buffer.concat(chunks).toString('utf8');
}

const isAbort = (error: unknown, signal?: AbortSignal): boolean =>
  signal?.aborted === true || (error instanceof Error && error.name === 'AbortError');

export function createUpstreamClient(config: UpstreamConfig): UpstreamClient {
  const base = config.baseUrl.replace(/\/+$/, '');
  const accountBase = `${base}/accounts/${encodeURIComponent(config.accountId)}`;
  const secrets = [config.apiToken, config.accountId].filter((s) => s.length >= 4);
  const routeFor = createRouter(config.routes);
  const policy: RetryPolicy = {
    maxRetries: Math.max(0, config.maxRetries),
    baseDelayMs: config.retryBaseDelayMs ?? 250,
    maxDelayMs: config.retryMaxDelayMs ?? 5_000,
  };
  const agent = new Agent({
    connections: config.maxConnections,
    keepAliveTimeout: config.keepAliveTimeoutMs ?? 30_000,
    headersTimeout: config.timeoutMs,
    bodyTimeout: config.timeoutMs,
    connect: { timeout: config.connectTimeoutMs },
  });
  const authHeaders = { authorization: `Bearer ${config.apiToken}` };

  /** Sends with retries until response headers with a 2xx status arrive. */
  async function send(
    url: string,
    init: { method: 'GET' | 'POST'; headers: Record<string, string>; body?: string | Buffer; headersTimeout?: number },
    signal: AbortSignal | undefined,
  ): Promise<ResponseData> {
    for (let attempt = 0; ; attempt++) {
      if (signal?.aborted) throw abortError(signal);
      let failure: UpstreamError;
      try {
        const res = await request(url, { dispatcher: agent, ...init, signal });
        if (res.statusCode < 400) return res;
        let text = '';
        try {
          text = await readText(res.body, MAX_ERROR_BODY_BYTES);
        } catch (error) {
          if (isAbort(error, signal)) throw abortError(signal);
        }
        failure = errorFromResponse(res.statusCode, text, res.headers['retry-after'], secrets);
      } catch (error) {
        if (isAbort(error, signal)) throw abortError(signal);
        if (error instanceof UpstreamError || (error instanceof Error && error.name === 'AbortError')) throw error;
        failure = errorFromNetwork(error, true);
      }
      const delay = retryDelay(failure, attempt, policy);
      if (delay === undefined) throw failure;
      try {
        await sleep(delay, signal);
      } catch {
        throw abortError(signal);
      }
    }
  }

  function prepare(req: UpstreamRequest, stream: boolean) {
    validateUpstreamRequest(req);
    const api = req.api ?? routeFor(req.model);
    const format: WireFormat = WIRE_FORMATS[api];
    const headers: Record<string, string> = {
      ...authHeaders,
      'content-type': 'application/json',
      accept: stream ? 'text/event-stream' : 'application/json',
      ...gatewayHeaders(req),
      ...traceHeaders(),
    };
    const init = {
      method: 'POST' as const,
      headers,
      body: JSON.stringify(req.extraBody ? { ...format.toWireBody(req, stream), ...req.extraBody } : format.toWireBody(req, stream)),
      ...(req.requestTimeoutMs !== undefined ? { headersTimeout: Math.min(config.timeoutMs, req.requestTimeoutMs + 5_000) } : {}),
    };
    return { api, format, url: accountBase + format.path(req), init };
  }

  /** A non-text call: its own wire (formats/modalities.ts), a JSON or binary reply. */
  async function completeTask(req: UpstreamRequest & { task: ModalityTask }, signal?: AbortSignal): Promise<UpstreamResult> {
    validateUpstreamRequest(req);
    const wire = modalityWire(req, req.api ?? routeFor(req.model));
    const headers: Record<string, string> = { ...authHeaders, 'content-type': wire.contentType, accept: wire.accept, ...gatewayHeaders(req), ...traceHeaders() };
    const res = await send(accountBase + wire.path, { method: 'POST', headers, body: wire.body }, signal);
    let bytes: Buffer;
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of res.body as AsyncIterable<Buffer>) chunks.push(chunk);
      bytes = Buffer.concat(chunks);
    } catch (error) {
      if (isAbort(error, signal)) throw abortError(signal);
      throw errorFromNetwork(error, false);
    }
    const parsed = parseModalityReply(req.task, String(res.headers['content-type'] ?? '').toLowerCase(), bytes);
    return {
      api: wire.api,
      ...readGatewayMeta(res.headers),
      text: parsed.output.kind === 'TRANSCRIPTION' ? parsed.output.text : '',
      toolCalls: [],
      usage: parsed.usage ?? emptyUsage(),
      output: parsed.output,
      ...(parsed.servedModel && { servedModel: parsed.servedModel }),
      ...(parsed.usage === undefined && req.task.kind === 'EMBEDDING' && { usageMissing: true }),
      ...(parsed.audioSeconds !== undefined && { reportedUnits: { audioSeconds: parsed.audioSeconds } }),
    };
  }

  async function complete(req: UpstreamRequest, signal?: AbortSignal): Promise<UpstreamResult> {
    if (req.task) return completeTask({ ...req, task: req.task }, signal);
    const { api, format, url, init } = prepare(req, false);
    const res = await send(url, init, signal);
    let text: string;
    try {
      text = await readText(res.body);
    } catch (error) {
      if (isAbort(error, signal)) throw abortError(signal);
      throw errorFromNetwork(error, false);
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (cause) {
      throw protocolError('response body is not JSON', cause);
    }
    const parsed = format.parseResult(body, req);
    return { api, ...readGatewayMeta(res.headers), ...parsed, ...(req.wire && { wire: text }) };
  }

  async function stream(req: UpstreamRequest, signal?: AbortSignal): Promise<UpstreamStream> {
    const { api, format, url, init } = prepare(req, true);
    const res = await send(url, init, signal);
    const meta = { api, ...readGatewayMeta(res.headers) };
    const contentType = String(res.headers['content-type'] ?? '');
    const body = res.body;

    async function* events(): AsyncGenerator<UpstreamEvent, void, undefined> {
      let finished = false;
      try {
        if (contentType.includes('application/json')) {
          // Some models answer stream:true with a whole JSON body.
          const result = format.parseResult(JSON.parse(await readText(body)), req);
          if (result.reasoningText) yield { type: 'reasoningDelta', text: result.reasoningText };
          if (result.text) yield { type: 'delta', text: result.text };
          for (const [index, call] of result.toolCalls.entries()) yield { type: 'toolCallDelta', index, id: call.id, name: call.name, argumentsDelta: call.arguments };
          yield { type: 'usage', usage: result.usage };
          finished = true;
          yield { type: 'done', finishReason: result.finishReason, rawFinishReason: result.rawFinishReason, servedModel: result.servedModel };
          return;
        }
        const parser = new SseParser({ keepRaw: req.wire === true });
        const mapper = format.createEventMapper(secrets, req);
        const batcher = new DeltaBatcher();
        const emit = function* (frames: ReturnType<SseParser['push']>): Generator<UpstreamEvent, boolean> {
          // The read's events up to its terminal one; a frame that fails to map still lets the
          // events before it through, then fails the stream.
          const read: UpstreamEvent[] = [];
          let failure: { error: unknown } | undefined;
          try {
            collect: for (const frame of frames) {
              if (frame.raw !== undefined) read.push({ type: 'wire', text: frame.raw });
              for (const event of mapper.push(frame)) {
                read.push(event);
                if (event.type === 'done' || event.type === 'error') break collect;
              }
            }
          } catch (error) {
            failure = { error };
          }
          for (const event of batcher.batch(read)) {
            if (event.type === 'done' || event.type === 'error') finished = true;
            yield event;
            if (finished) return true;
          }
          if (failure) throw failure.error;
          return false;
        };
        for await (const chunk of body as AsyncIterable<Buffer>) {
          if (yield* emit(parser.push(chunk))) return;
        }
        if (yield* emit(parser.end())) return;
        finished = true;
        yield { type: 'error', error: protocolError('the stream ended before its terminal event') };
      } catch (error) {
        if (finished) return;
        finished = true;
        if (isAbort(error, signal)) yield { type: 'error', error: abortError(signal) };
        else if (error instanceof UpstreamError) yield { type: 'error', error };
        else if (error instanceof SyntaxError) yield { type: 'error', error: protocolError('response body is not JSON', error) };
        else yield { type: 'error', error: errorFromNetwork(error, false) };
      } finally {
        // Ends the upstream request at once when the caller stops early (break, abort, terminal).
        if (!body.readableEnded) body.destroy();
      }
    }

    const iterable = events();
    return { ...meta, [Symbol.asyncIterator]: () => iterable };
  }

  async function listGateways(signal?: AbortSignal): Promise<Array<{ id: string; createdAt?: string }>> {
    const gateways: Array<{ id: string; createdAt?: string }> = [];
    const perPage = 50;
    for (let page = 1; page <= 1000; page++) {
      const res = await send(
        `${accountBase}/ai-gateway/gateways?page=${page}&per_page=${perPage}`,
        { method: 'GET', headers: { ...authHeaders, accept: 'application/json' } },
        signal,
      );
      let body: unknown;
      try {
        body = JSON.parse(await readText(res.body));
      } catch (cause) {
        if (isAbort(cause, signal)) throw abortError(signal);
        throw protocolError('gateway list is not JSON', cause);
      }
      const record = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
      const result = Array.isArray(record.result) ? record.result : [];
      for (const item of result) {
        if (typeof item === 'object' && item !== null && typeof (item as { id?: unknown }).id === 'string') {
          const { id, created_at } = item as { id: string; created_at?: unknown };
          gateways.push(typeof created_at === 'string' ? { id, createdAt: created_at } : { id });
        }
      }
      const info = (record.result_info ?? {}) as { total_count?: unknown };
      const total = typeof info.total_count === 'number' ? info.total_count : undefined;
      if (result.length < perPage || (total !== undefined && gateways.length >= total)) break;
    }
    return gateways;
  }

  return {
    complete,
    stream,
    routeFor,
    listGateways,
    close: () => agent.close(),
  };
}
