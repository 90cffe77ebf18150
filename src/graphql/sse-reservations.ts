// graphql-sse on /graphql/stream (both modes), with the reservations of its single-connection
// mode kept on a short leash: a reservation (PUT) needs a valid API key, counts toward that key's
// cap (the WebSocket cap), lapses after lapseMs unless its event stream connects, and ends when
// the key is revoked or rotated. Without a valid key nothing is stored: a flood of PUTs grows
// nothing. Every event stream is read through a guard: if graphql-sse's iterator throws, that
// stream ends alone (counted) instead of erroring the response under node:http.
// (Replaces @graphql-yoga/plugin-graphql-sse, whose reservations anyone could make and none lapsed.)
import { randomUUID } from 'node:crypto';
import { getOperationAST, type ExecutionArgs } from 'graphql';
import { createHandler } from 'graphql-sse/lib/use/fetch';
import type { Plugin, YogaInitialContext } from 'graphql-yoga';
import type { LiveStreams } from '../domain/access/live-streams.ts';
import type { Principal } from '../domain/access/principal.ts';
import { GraphQLError, type DocumentNode } from 'graphql';
import { retryAfterHeader, toAppError } from '../platform/errors.ts';
import { badInputError } from './errors.ts';
import { rejected } from './sse-request-errors.ts';

const TOKEN_HEADER = 'x-graphql-event-stream-token';
/** How long a revoked key's event stream stays open for its operations' last events. */
const REVOKED_FLUSH_MS = 200;

export interface SseReservationOptions {
  endpoint: string;
  authenticate: (authorization: string | null) => Promise<Principal>;
  /** A reservation whose event stream has not connected by then is dropped (WS_AUTH_TIMEOUT_MS). */
  lapseMs: number;
  /** Reservations (connected or not) one key may hold (WS_MAX_SOCKETS_PER_KEY). */
  maxPerKey: number;
  liveStreams: LiveStreams;
  onUnexpected: (error: unknown) => void;
  /** Told the number of reservations held whenever it changes. */
  onCount?: (count: number) => void;
}

interface Reservation {
  holder: string;
  timer?: NodeJS.Timeout;
  /** Ends the connected event stream (or drops the unconnected reservation). */
  end?: () => void;
  release: () => void;
}

/** A refusal as graphql-sse's handler takes it from `authenticate`: [body, init]. */
type Refusal = [string, { status: number; statusText: string; headers: Record<string, string> }];

const refusal = (status: number, statusText: string, code: string, message: string, headers: Record<string, string> = {}, extensions: Record<string, unknown> = {}): Refusal => [
  JSON.stringify({ errors: [{ message, extensions: { code, ...extensions } }] }),
  { status, statusText, headers: { 'content-type': 'application/json; charset=utf-8', ...headers } },
];
const json = (...args: Parameters<typeof refusal>) => {
  const [body, init] = refusal(...args);
  return new Response(body, init);
};

export function sseReservationsPlugin(options: SseReservationOptions): Plugin & { reservations: () => number } {
  const reservations = new Map<string, Reservation>();
  const perHolder = new Map<string, number>();
  const serverContexts = new WeakMap<Request, Record<string, unknown>>();
  let handler: ((request: Request) => Promise<Response>) | undefined;

  function drop(token: string): void {
    const reservation = reservations.get(token);
    if (!reservation) return;
    reservations.delete(token);
    options.onCount?.(reservations.size);
    clearTimeout(reservation.timer);
    reservation.release();
    const left = (perHolder.get(reservation.holder) ?? 1) - 1;
    if (left > 0) perHolder.set(reservation.holder, left);
    else perHolder.delete(reservation.holder);
    if (reservation.end) return reservation.end();
    // Never connected: graphql-sse frees a reservation when its event stream ends, so connect one
    // and cancel it at once.
    void handler?.(new Request(`http://localhost${options.endpoint}`, { headers: { [TOKEN_HEADER]: token, accept: 'text/event-stream' } }))
      .then((res) => res.body?.cancel())
      .catch(() => undefined);
  }

  async function reserve(request: Request): Promise<Refusal | string> {
    let principal: Principal;
    try {
      principal = await options.authenticate(request.headers.get('authorization'));
    } catch (error) {
      // A key that cannot be checked now (its database does not answer) is not a bad key: 503.
      const appError = toAppError(error);
      if (appError.code === 'UNAVAILABLE') {
        const retryAfter = retryAfterHeader(appError);
        return refusal(503, 'Service Unavailable', 'UNAVAILABLE', appError.message, retryAfter ? { 'retry-after': retryAfter } : {}, { retryAfterMs: appError.details.retryAfterMs });
      }
      return refusal(401, 'Unauthorized', 'UNAUTHENTICATED', 'A valid API key is required (Authorization: Bearer <key>)', { 'www-authenticate': 'Bearer' });
    }
    const holder = principal.keyId ?? `user:${principal.userId}`;
    const held = perHolder.get(holder) ?? 0;
    if (held >= options.maxPerKey) {
      return refusal(429, 'Too Many Requests', 'RATE_LIMITED', `Too many event-stream reservations for this key (max ${options.maxPerKey})`, { 'retry-after': String(Math.ceil(options.lapseMs / 1000)) });
    }
    const token = randomUUID();
    perHolder.set(holder, held + 1);
    const reservation: Reservation = { holder, release: () => {} };
    reservations.set(token, reservation);
    options.onCount?.(reservations.size);
    // Revoked or rotated: the stream's operations send their UNAUTHENTICATED events first, then it ends.
    reservation.release = options.liveStreams.hold(principal, () => setTimeout(() => drop(token), REVOKED_FLUSH_MS).unref());
    reservation.timer = setTimeout(() => drop(token), options.lapseMs);
    reservation.timer.unref();
    return token;
  }

  /** The event stream of a reservation connected: it no longer lapses; it ends when the client leaves or the key is revoked. */
  function guard(response: Response, token: string | null): Response {
    const reservation = token ? reservations.get(token) : undefined;
    if (!response.body || !response.headers.get('content-type')?.startsWith('text/event-stream')) return response;
    const reader = response.body.getReader();
    // Ended by the reservation (client left, key revoked) while a read was pending: that read's
    // value or error is not the stream's to report.
    let ended = false;
    let stop: () => void = () => {};
    const end = (controller: ReadableStreamDefaultController<Uint8Array>) => {
      if (ended) return;
      ended = true;
      controller.close();
    };
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        stop = () => {
          void reader.cancel().catch(() => undefined);
          end(controller);
        };
      },
      async pull(controller) {
        try {
          const { done, value } = await reader.read();
          if (ended) return;
          if (done) {
            end(controller);
            if (token) drop(token);
          } else controller.enqueue(value);
        } catch (error) {
          if (!ended) options.onUnexpected(error);
          end(controller);
          if (token) drop(token);
        }
      },
      cancel: async (reason) => {
        ended = true;
        await reader.cancel(reason).catch(() => undefined);
        if (token) drop(token);
      },
    });
    if (reservation && token) {
      clearTimeout(reservation.timer);
      reservation.end = stop;
    }
    return new Response(body, { status: response.status, headers: response.headers });
  }

  return {
    reservations: () => reservations.size,
    onYogaInit({ yoga }) {
      const sse = createHandler(
        {
          authenticate: (req) => {
            if (req.method === 'PUT') return reserve(req.raw);
            return req.headers.get(TOKEN_HEADER) ?? new URL(req.url, 'http://localhost').searchParams.get('token') ?? undefined;
          },
          onSubscribe(req, params) {
            const enveloped = yoga.getEnveloped({ ...serverContexts.get(req.raw), request: req.raw, params } as unknown as YogaInitialContext);
            // A query that does not parse or validate is BAD_INPUT, answered as the operation's
            // result ({ data: null, errors }) on either mode, as over HTTP and graphql-ws.
            let document: DocumentNode;
            try {
              document = enveloped.parse(params.query);
            } catch (error) {
              const syntax = error instanceof Error && error.name === 'GraphQLError' ? (error as GraphQLError) : new GraphQLError('Syntax Error: the query could not be parsed');
              return Promise.resolve({ data: null, errors: [badInputError(syntax, false, { socket: true })] }) as never;
            }
            const errors = rejected(() => enveloped.validate(enveloped.schema, document));
            if (errors.length > 0) return Promise.resolve({ data: null, errors: errors.map((e) => badInputError(e, false, { socket: true })) }) as never;
            return (async () => {
              const contextValue = await enveloped.contextFactory();
              const args: ExecutionArgs = { schema: enveloped.schema, document, contextValue, variableValues: params.variables, operationName: params.operationName };
              const operation = getOperationAST(document, params.operationName);
              return (operation?.operation === 'subscription' ? enveloped.subscribe : enveloped.execute)(args) as never;
            })();
          },
        },
        yoga.fetchAPI,
      );
      handler = async (request) => {
        const token = request.method === 'GET' || request.method === 'POST' ? request.headers.get(TOKEN_HEADER) : null;
        const response = await sse(request);
        return request.headers.get('accept') === 'text/event-stream' ? guard(response, token) : response;
      };
    },
    onRequest({ request, endResponse, serverContext }) {
      const path = request.url.split('?', 1)[0]!;
      if (!path.endsWith(options.endpoint) || !handler) return;
      serverContexts.set(request, serverContext as Record<string, unknown>);
      return handler(request).then(endResponse, (error: unknown) => {
        options.onUnexpected(error);
        endResponse(json(500, 'Internal Server Error', 'INTERNAL', 'Internal error'));
      });
    },
  };
}
