// GraphQL POSTs of one JSON operation answered straight from node:http, through yoga's own
// pipeline: its onParams hooks (parameter checks, nesting limit), its envelop (parse and
// validation caches, the context, graphql-jit, masked errors, metrics, tracing), its
// result-process hooks (media type negotiation, error metrics) and result processor, and the
// onResponse hooks (balance headers). What it leaves out is @whatwg-node/server's Fetch machinery
// around them: a Request with a body stream and an abort signal per call, the request parser
// hooks, a Response written back through its generic sender.
//
// It takes a request only from its headers: POST to the endpoint, a JSON body with a
// Content-Length, an Accept that names only the JSON media types. Once the body is read, a body
// that is not one operation's plain parameters (invalid JSON, a batch, extensions, unknown keys,
// wrong types) goes to yoga as a Fetch Request built from it, so yoga answers it. Everything else
// (GET, SSE, multipart, chunked bodies, other content types) never comes here.
// test/server/graphql-fast-path.test.ts compares both handlers' answers.
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { processRegularResult, type GraphQLParams, type Plugin } from 'graphql-yoga';
import { clientGone, isJson, readBody } from '../http/node-request.ts';
import type { GraphQLHandler } from './yoga.ts';

/** The Accept values yoga answers with its regular JSON processor, whitespace removed, lowercased. */
const JSON_MEDIA = /^(?:application\/json|application\/graphql-response\+json|\*\/\*)(?:;charset=utf-8)?$/;

const acceptsJsonOnly = (accept: string | undefined) =>
  accept === undefined || accept.replace(/\s/g, '').toLowerCase().split(',').every((entry) => JSON_MEDIA.test(entry));

interface OperationParams {
  query: string;
  variables?: Record<string, unknown> | null;
  operationName?: string | null;
}

const PARAM_KEYS = new Set(['query', 'variables', 'operationName']);

/** One operation's parameters, in the shapes yoga's parameter checks accept without a word. */
function isOperationParams(body: unknown): body is OperationParams {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return false;
  const params = body as Record<string, unknown>;
  for (const key in params) if (!PARAM_KEYS.has(key)) return false;
  const { query, variables, operationName } = params;
  return (
    typeof query === 'string' &&
    (variables == null || (typeof variables === 'object' && !Array.isArray(variables))) &&
    (operationName == null || typeof operationName === 'string')
  );
}

/** The parts of a Fetch Request that yoga's hooks and our context read: method, url, headers, signal. */
function requestView(req: IncomingMessage, url: string, signal: AbortSignal): Request {
  const headers = req.headers;
  const get = (name: string): string | null => {
    const value = headers[name.toLowerCase()];
    return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
  };
  return { method: 'POST', url, headers: { get, has: (name: string) => get(name) !== null }, signal } as unknown as Request;
}

/**
 * Writes a Fetch Response as @whatwg-node/server does: status, headers, then the body, whole for
 * the regular JSON processor's string, chunk by chunk for a stream (a subscription's multipart).
 */
async function send(res: ServerResponse, response: Response, streamed: boolean): Promise<void> {
  const body = streamed ? undefined : await response.text();
  if (res.destroyed || res.writableEnded) return;
  res.statusCode = response.status;
  if (response.statusText) res.statusMessage = response.statusText;
  response.headers.forEach((value, key) => res.setHeader(key, value));
  if (!streamed || !response.body) return void res.end(body);
  for await (const chunk of response.body) {
    if (res.destroyed) break;
    res.write(chunk);
  }
  res.end();
}

/** Whether the fast path takes a request, from its method, URL and headers alone. */
export function wantsFastPath(method: string | undefined, url: string | undefined, headers: IncomingHttpHeaders, endpoint: string): boolean {
  if (method !== 'POST' || url === undefined) return false;
  const q = url.indexOf('?');
  if ((q < 0 ? url : url.slice(0, q)) !== endpoint) return false;
  return isJson(headers['content-type']) && headers['content-length'] !== undefined && acceptsJsonOnly(headers.accept);
}

type ResultProcessor = (result: unknown, fetchAPI: unknown, acceptedMediaType: string) => Response | Promise<Response>;
type ResultProcessHook = (payload: Record<string, unknown>) => unknown;
type ResponseHook = NonNullable<Plugin['onResponse']>;

/**
 * Returns a promise when it takes the request (it never rejects: failures are answered), or
 * undefined when yoga's own handler must take it.
 */
export function createGraphQLFastPath(yoga: GraphQLHandler, endpoint: string) {
  // Yoga keeps its hook lists private; these are the lists its own handle() runs.
  const internals = yoga as unknown as { onResultProcessHooks: ResultProcessHook[]; plugins: Plugin[] };
  const onResultProcess = internals.onResultProcessHooks;
  const onResponse: ResponseHook[] = internals.plugins.flatMap((p) => (p.onResponse ? [p.onResponse.bind(p)] : []));

  return function take(req: IncomingMessage, res: ServerResponse): Promise<void> | undefined {
    if (!wantsFastPath(req.method, req.url, req.headers, endpoint)) return undefined;
    return answer(req, res).catch((error: unknown) => {
      yoga.logger.error(error);
      if (!res.headersSent) res.statusCode = 500;
      res.end();
    });
  };

  async function answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const signal = clientGone(req, res);
    const raw = await readBody(req);
    // What @whatwg-node/server gives yoga as the server context for a node:http request.
    const serverContext = { req, res } as Parameters<GraphQLHandler['getResultForParams']>[1];
    const url = `http://${req.headers.host ?? 'localhost'}${req.url ?? '/'}`;
    let params: unknown;
    try {
      params = JSON.parse(raw);
    } catch {
      params = undefined;
    }
    if (!isOperationParams(params)) {
      const request = new yoga.fetchAPI.Request(url, { method: 'POST', headers: toHeaders(req), body: raw, signal });
      return send(res, await yoga.handleRequest(request, serverContext), true);
    }
    const request = requestView(req, url, signal);
    let result: unknown = await yoga.getResultForParams({ params: params as GraphQLParams, request }, serverContext);
    // As yoga's processResult: the hooks choose the processor for the accepted media type.
    let processor: ResultProcessor | undefined;
    let accepted = '*/*';
    const acceptableMediaTypes: string[] = [];
    for (const hook of onResultProcess) {
      await hook({
        request,
        acceptableMediaTypes,
        result,
        setResult: (next: unknown) => void (result = next),
        resultProcessor: processor,
        setResultProcessor: (next: ResultProcessor, mediaType: string) => {
          processor = next;
          accepted = mediaType;
        },
        serverContext,
      });
    }
    let response = processor
      ? await processor(result, yoga.fetchAPI, accepted)
      : new yoga.fetchAPI.Response(null, { status: 406, statusText: 'Not Acceptable', headers: { accept: acceptableMediaTypes.join('; charset=utf-8, ') } });
    for (const hook of onResponse) {
      await hook({ request, response, serverContext, setResponse: (next: Response) => void (response = next), fetchAPI: yoga.fetchAPI } as unknown as Parameters<ResponseHook>[0]);
    }
    return send(res, response, processor !== processRegularResult);
  }
}

function toHeaders(req: IncomingMessage): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) out.push([name, v]);
  }
  return out;
}
