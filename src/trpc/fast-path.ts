// tRPC queries and mutations (one call, batched as `?batch=1` or not) answered straight from
// node:http, the way tRPC's own handler answers them: the same procedure call (middlewares, input
// parser, errorFormatter), the same envelope, status, `vary` and `content-type`, the same onError.
// What it leaves out is the standalone adapter's Fetch machinery: a Fetch Request with a body
// stream and an abort signal per call, a Response read back through a WritableStream. That
// machinery was ~80% of the tRPC floor's CPU per call at c=32 (bench/floor-server.ts: floor/trpc
// against floor-direct/trpc).
//
// Everything else goes to tRPC's handler, decided before a byte of the body is read: batches of
// several calls, subscriptions, jsonl streaming (`trpc-accept`), HEAD, content types other than
// JSON, bodies without a content-length, encoded or unusual paths, `connectionParams`.
// test/server/trpc-fast-path.test.ts compares both handlers' answers (status, content-type, vary,
// body).
import type { IncomingMessage, ServerResponse } from 'node:http';
// Only tRPC's public entry points: @trpc/server and @trpc/server/http.
import { getErrorShape, getTRPCErrorFromUnknown, transformTRPCResponse, TRPCError, type AnyTRPCProcedure, type AnyTRPCRouter } from '@trpc/server';
import type { CreateHTTPContextOptions } from '@trpc/server/adapters/standalone';
import { getHTTPStatusCode, type TRPCRequestInfo } from '@trpc/server/http';
import { clientGone, isJson, readBody } from '../http/node-request.ts';

export interface TrpcFastPathOptions<Ctx extends object> {
  router: AnyTRPCRouter;
  /** The handler's base path, with both slashes: '/trpc/'. */
  basePath: string;
  createContext: (opts: CreateHTTPContextOptions) => Ctx | Promise<Ctx>;
  onError: (opts: { error: TRPCError; path: string; input: unknown; ctx: Ctx | undefined; type: 'query' | 'mutation'; req: IncomingMessage }) => void;
}

const PROCEDURE_PATH = /^[A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*$/;
const METHOD_OF = { query: 'GET', mutation: 'POST' } as const;
type CallType = keyof typeof METHOD_OF;

/** Fetch's Request.text(), which tRPC's handler reads, drops a UTF-8 byte order mark; so does this. */
const withoutBom = (text: string) => (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
const isDataStream = (v: unknown) => typeof v === 'object' && v !== null && (v instanceof ReadableStream || Symbol.asyncIterator in v);

/**
 * Returns a promise when it takes the request (it never rejects: failures are answered), or
 * undefined when tRPC's own handler must take it.
 */
export function createTrpcFastPath<Ctx extends object>(opts: TrpcFastPathOptions<Ctx>) {
  const config = opts.router._def._config;
  const procedures = opts.router._def.procedures as Record<string, AnyTRPCProcedure | undefined>;

  return function take(req: IncomingMessage, res: ServerResponse): Promise<void> | undefined {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    let path = q < 0 ? url : url.slice(0, q);
    if (!path.startsWith(opts.basePath)) return undefined;
    path = path.slice(opts.basePath.length);
    if (path.endsWith('/')) path = path.slice(0, -1);
    if (!PROCEDURE_PATH.test(path)) return undefined;
    const procedure = procedures[path];
    const type = procedure?._def.type;
    if (type !== 'query' && type !== 'mutation') return undefined;
    if (req.method !== METHOD_OF[type]) return undefined;
    const search = q < 0 ? undefined : new URLSearchParams(url.slice(q + 1));
    if (search?.has('connectionParams')) return undefined;
    const isBatchCall = search?.get('batch') === '1';
    const headers = req.headers;
    if (headers['trpc-accept'] !== undefined || headers.accept?.includes('application/jsonl')) return undefined;
    if (type === 'mutation' && (!isJson(headers['content-type']) || headers['content-length'] === undefined)) return undefined;
    if (type === 'query' && headers['content-type'] !== undefined && !isJson(headers['content-type'])) return undefined;
    return answer(req, res, procedure!, path, type, isBatchCall, search);
  };

  async function answer(req: IncomingMessage, res: ServerResponse, procedure: AnyTRPCProcedure, path: string, type: CallType, isBatchCall: boolean, search: URLSearchParams | undefined): Promise<void> {
    const signal = clientGone(req, res);
    const raw = type === 'mutation' ? withoutBom(await readBody(req).catch(() => '')) : (search?.get('input') ?? '');
    let parsed: { input: unknown } | undefined;
    const readInput = (): unknown => {
      if (parsed) return parsed.input;
      try {
        let input: unknown = raw ? JSON.parse(raw) : undefined;
        if (isBatchCall && input !== undefined) {
          if (typeof input !== 'object' || input === null || Array.isArray(input)) {
            throw new TRPCError({ code: 'BAD_REQUEST', message: '"input" needs to be an object when doing a batch call' });
          }
          input = (input as Record<string, unknown>)['0'];
        }
        parsed = { input: input === undefined ? undefined : config.transformer.input.deserialize(input) };
        return parsed.input;
      } catch (cause) {
        // As tRPC's input reader: an unreadable input is BAD_REQUEST with the cause's message.
        if (cause instanceof TRPCError) throw cause;
        throw new TRPCError({ code: 'BAD_REQUEST', message: cause instanceof Error ? cause.message : 'Invalid input', cause });
      }
    };
    const call = { path, procedure, batchIndex: 0, getRawInput: async () => readInput(), result: () => parsed?.input };
    const info: TRPCRequestInfo = { accept: null, type, isBatchCall, calls: [call], connectionParams: null, signal, url: null };

    let ctx: Ctx | undefined;
    let body: unknown;
    let error: TRPCError | undefined;
    try {
      ctx = await opts.createContext({ req, res, info } as CreateHTTPContextOptions);
      const data: unknown = await procedure({ path, getRawInput: call.getRawInput, ctx, type, signal, batchIndex: 0 });
      if (isDataStream(data)) {
        throw new TRPCError({ code: 'UNSUPPORTED_MEDIA_TYPE', message: 'Cannot use stream-like response in non-streaming request - use httpBatchStreamLink' });
      }
      body = { result: { data } };
    } catch (cause) {
      error = getTRPCErrorFromUnknown(cause);
      opts.onError({ error, path, input: call.result(), ctx, type, req });
      body = { error: getErrorShape({ config, ctx, error, input: call.result(), path, type }) };
    }
    const status = getHTTPStatusCode([body] as never, [error]);
    const json = JSON.stringify(transformTRPCResponse(config, (isBatchCall ? [body] : body) as never));
    if (res.destroyed) return;
    if (res.statusCode === 200) res.statusCode = status;
    res.setHeader('vary', 'trpc-accept, accept');
    res.setHeader('content-type', 'application/json');
    res.end(json);
  }
}
