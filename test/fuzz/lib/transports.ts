// Sending a generated operation over each transport with real clients over real sockets, and
// reducing whatever comes back to an Answer: the error codes, the HTTP status where there is one,
// and the whole text (checked for secrets and prompt text).
import { createTRPCClient, createWSClient, httpBatchLink, httpLink, httpSubscriptionLink, TRPCClientError, wsLink } from '@trpc/client';
import { createClient as createSseClient, type Client as SseClient } from 'graphql-sse';
import { createClient as createWsClient, type Client as WsClient } from 'graphql-ws';
import { EventSource } from 'undici';
import WebSocket from 'ws';
import type { AppRouter } from '../../../src/trpc/router.ts';
import type { GraphQLOp } from './graphql-ops.ts';
import type { TrpcOp } from './trpc-ops.ts';

export const GRAPHQL_TRANSPORTS = ['graphql-http', 'graphql-sse-distinct', 'graphql-sse-single', 'graphql-ws'] as const;
export const TRPC_TRANSPORTS = ['trpc-http', 'trpc-batch', 'trpc-sse', 'trpc-ws'] as const;
export type Transport = (typeof GRAPHQL_TRANSPORTS)[number] | (typeof TRPC_TRANSPORTS)[number];

export interface Answer {
  codes: string[];
  status?: number;
  /** Error messages only (never legitimately echo a prompt). */
  messages: string[];
  /** Everything received. */
  text: string;
}

/** A stream is read up to this many events or this long, then left. */
const STREAM_EVENTS = 40;
const STREAM_MS = 1_500;

function graphqlAnswer(results: unknown[], status?: number): Answer {
  const codes: string[] = [];
  const messages: string[] = [];
  for (const r of results) {
    const errors = (r as { errors?: Array<{ message?: string; extensions?: { code?: string } }> } | null)?.errors ?? [];
    for (const e of errors) {
      codes.push(e.extensions?.code ?? 'NO_CODE');
      messages.push(String(e.message));
    }
  }
  return { codes, status, messages, text: JSON.stringify(results) };
}

function errorAnswer(error: unknown): Answer {
  const text = error instanceof Error ? `${error.name}: ${error.message} ${JSON.stringify(error)}` : JSON.stringify(error);
  if (error instanceof TRPCClientError) {
    const data = (error.data ?? {}) as { appCode?: string; httpStatus?: number };
    return { codes: [data.appCode ?? 'NO_CODE'], status: data.httpStatus, messages: [error.message], text };
  }
  const list = Array.isArray(error) ? error : [error];
  const graphql = list.filter((e): e is { message: string; extensions?: { code?: string } } => typeof e === 'object' && e !== null && 'message' in e && 'extensions' in e);
  if (graphql.length > 0) return { codes: graphql.map((e) => e.extensions?.code ?? 'NO_CODE'), messages: graphql.map((e) => e.message), text };
  // A transport-level refusal (a status the client reports, a closed socket): no code to check.
  const status = /responded with (\d{3})/.exec(text)?.[1];
  return { codes: [], status: status ? Number(status) : undefined, messages: [text], text };
}

export class Transports {
  private sse: Record<string, SseClient> = {};
  private ws: Record<string, WsClient> = {};
  private trpc: Record<string, ReturnType<typeof createTRPCClient<AppRouter>>> = {};
  private closers: Array<() => unknown> = [];

  constructor(private readonly url: string) {}

  private sseClient(key: string, single: boolean): SseClient {
    const id = `${single}|${key}`;
    return (this.sse[id] ??= createSseClient({ url: `${this.url}/graphql/stream`, headers: { authorization: `Bearer ${key}` }, retryAttempts: 0, singleConnection: single }));
  }

  private wsClient(key: string): WsClient {
    return (this.ws[key] ??= createWsClient({ url: `${this.url.replace('http', 'ws')}/graphql`, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${key}` }, retryAttempts: 3, lazy: true }));
  }

  private trpcClient(key: string, transport: (typeof TRPC_TRANSPORTS)[number]): ReturnType<typeof createTRPCClient<AppRouter>> {
    const id = `${transport}|${key}`;
    if (this.trpc[id]) return this.trpc[id];
    const headers = { authorization: `Bearer ${key}` };
    let link;
    if (transport === 'trpc-http') link = httpLink({ url: `${this.url}/trpc`, headers });
    else if (transport === 'trpc-batch') link = httpBatchLink({ url: `${this.url}/trpc`, headers, maxItems: 10 });
    else if (transport === 'trpc-sse') link = httpSubscriptionLink({ url: `${this.url}/trpc`, EventSource, connectionParams: headers });
    else {
      const client = createWSClient({ url: `${this.url.replace('http', 'ws')}/trpc`, WebSocket: WebSocket as never, connectionParams: headers });
      this.closers.push(() => client.close());
      link = wsLink({ client });
    }
    return (this.trpc[id] = createTRPCClient<AppRouter>({ links: [link] }));
  }

  async graphql(transport: (typeof GRAPHQL_TRANSPORTS)[number], key: string, op: GraphQLOp): Promise<Answer> {
    if (transport === 'graphql-http') {
      const stream = op.kind === 'subscription';
      const res = await fetch(`${this.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: stream ? 'text/event-stream' : 'application/graphql-response+json', authorization: `Bearer ${key}` },
        body: JSON.stringify({ query: op.query, variables: op.variables }),
        signal: AbortSignal.timeout(STREAM_MS),
      });
      const text = await res.text().catch(() => '');
      const results = stream ? text.split('\n').filter((l) => l.startsWith('data: ')).map((l) => JSON.parse(l.slice(6)) as unknown) : [JSON.parse(text || 'null') as unknown];
      return { ...graphqlAnswer(results, res.status), text };
    }
    const subscribe = (sink: { next: (v: unknown) => void; error: (e: unknown) => void; complete: () => void }) =>
      transport === 'graphql-ws' ? this.wsClient(key).subscribe({ query: op.query, variables: op.variables }, sink) : this.sseClient(key, transport === 'graphql-sse-single').subscribe({ query: op.query, variables: op.variables }, sink);
    return new Promise<Answer>((resolve) => {
      const results: unknown[] = [];
      let done = false;
      let stop = () => {};
      const finish = (answer: Answer) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        stop();
        resolve(answer);
      };
      const timer = setTimeout(() => finish(graphqlAnswer(results)), STREAM_MS);
      stop = subscribe({
        next: (v) => {
          results.push(v);
          if (results.length >= STREAM_EVENTS) finish(graphqlAnswer(results));
        },
        error: (e) => {
          const a = errorAnswer(e);
          const b = graphqlAnswer(results);
          finish({ codes: [...b.codes, ...a.codes], status: a.status, messages: [...b.messages, ...a.messages], text: b.text + a.text });
        },
        complete: () => finish(graphqlAnswer(results)),
      });
    });
  }

  async trpcCall(transport: (typeof TRPC_TRANSPORTS)[number], key: string, op: TrpcOp): Promise<Answer> {
    const client = this.trpcClient(key, transport);
    const target = op.path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], client) as {
      query: (i: unknown, o?: unknown) => Promise<unknown>;
      mutate: (i: unknown) => Promise<unknown>;
      subscribe: (i: unknown, h: { onData: (d: unknown) => void; onError: (e: unknown) => void; onComplete: () => void }) => { unsubscribe: () => void };
    };
    if (op.type !== 'subscription') {
      try {
        const data = await (op.type === 'query' ? target.query(op.input, { signal: AbortSignal.timeout(STREAM_MS * 2) }) : target.mutate(op.input));
        return { codes: [], messages: [], text: JSON.stringify(data) ?? '' };
      } catch (error) {
        return errorAnswer(error);
      }
    }
    return new Promise<Answer>((resolve) => {
      const events: unknown[] = [];
      let done = false;
      let sub: { unsubscribe: () => void } | undefined;
      const finish = (answer: Answer) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        sub?.unsubscribe();
        resolve(answer);
      };
      const timer = setTimeout(() => finish({ codes: [], messages: [], text: JSON.stringify(events) }), STREAM_MS);
      sub = target.subscribe(op.input, {
        onData: (d) => {
          events.push(d);
          if (events.length >= STREAM_EVENTS) finish({ codes: [], messages: [], text: JSON.stringify(events) });
        },
        onError: (e) => {
          const a = errorAnswer(e);
          finish({ ...a, text: JSON.stringify(events) + a.text });
        },
        onComplete: () => finish({ codes: [], messages: [], text: JSON.stringify(events) }),
      });
    });
  }

  async close(): Promise<void> {
    for (const c of Object.values(this.sse)) c.dispose();
    await Promise.all(Object.values(this.ws).map((c) => c.dispose()));
    for (const close of this.closers) await close();
  }
}
