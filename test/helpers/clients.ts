// Real clients over real sockets: @trpc/client (httpBatchLink, httpSubscriptionLink, wsLink),
// graphql-sse and graphql-ws. Each streaming helper collects a subscription's events.
import { createTRPCClient, createWSClient, httpBatchLink, httpSubscriptionLink, splitLink, wsLink } from '@trpc/client';
import { createClient as createSseClient } from 'graphql-sse';
import { createClient as createWsClient } from 'graphql-ws';
import { EventSource } from 'undici';
import WebSocket from 'ws';
import type { AppRouter } from '../../src/trpc/router.ts';

export type TRPC = ReturnType<typeof createTRPCClient<AppRouter>>;

/** tRPC over HTTP: batching for queries/mutations, SSE for subscriptions. */
export function trpcHttp(url: string, key: string): TRPC {
  return createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === 'subscription',
        true: httpSubscriptionLink({ url: `${url}/trpc`, EventSource, connectionParams: { authorization: `Bearer ${key}` } }),
        // maxItems: the server refuses batches over TRPC_MAX_BATCH (default 10) whole.
        false: httpBatchLink({ url: `${url}/trpc`, headers: { authorization: `Bearer ${key}` }, maxItems: 10 }),
      }),
    ],
  });
}

/** tRPC over one WebSocket for everything. */
export function trpcWs(url: string, key: string): { client: TRPC; close: () => Promise<void> } {
  const ws = createWSClient({ url: `${url.replace('http', 'ws')}/trpc`, WebSocket: WebSocket as never, connectionParams: { authorization: `Bearer ${key}` } });
  return { client: createTRPCClient<AppRouter>({ links: [wsLink({ client: ws })] }), close: () => ws.close() };
}

/** Runs a tRPC subscription to its end and returns its events (rejects on an error). */
export function collectTrpc<T>(subscribe: (handlers: { onData: (d: T) => void; onError: (e: unknown) => void; onComplete: () => void }) => { unsubscribe: () => void }, stopAfter?: (events: T[]) => boolean): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const events: T[] = [];
    let sub: { unsubscribe: () => void } | undefined;
    let stopped = false;
    sub = subscribe({
      onData: (d) => {
        events.push(d);
        if (stopAfter?.(events)) {
          stopped = true;
          sub?.unsubscribe();
          resolve(events);
        }
      },
      onError: (e) => {
        sub?.unsubscribe();
        reject(e);
      },
      onComplete: () => resolve(events),
    });
    if (stopped) sub.unsubscribe();
  });
}

export interface GraphQLStreamResult<T> {
  events: T[];
  errors: unknown[];
}

/** A GraphQL subscription over graphql-sse (distinct connections mode). */
export async function graphqlSse<T>(url: string, key: string, query: string, variables: Record<string, unknown>, stopAfter?: (events: T[]) => boolean): Promise<GraphQLStreamResult<T>> {
  const client = createSseClient({ url: `${url}/graphql`, headers: { authorization: `Bearer ${key}` }, retryAttempts: 0 });
  try {
    return await drain<T>((sink) => client.subscribe({ query, variables }, sink), stopAfter);
  } finally {
    client.dispose();
  }
}

/** A GraphQL subscription over graphql-ws (graphql-transport-ws). */
export async function graphqlWs<T>(url: string, key: string, query: string, variables: Record<string, unknown>, stopAfter?: (events: T[]) => boolean): Promise<GraphQLStreamResult<T>> {
  const client = createWsClient({ url: `${url.replace('http', 'ws')}/graphql`, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${key}` }, retryAttempts: 0, lazy: true });
  try {
    return await drain<T>((sink) => client.subscribe({ query, variables }, sink), stopAfter);
  } finally {
    await client.dispose();
  }
}

interface Sink {
  next: (value: { data?: unknown; errors?: unknown }) => void;
  error: (error: unknown) => void;
  complete: () => void;
}

function drain<T>(subscribe: (sink: Sink) => () => void, stopAfter?: (events: T[]) => boolean): Promise<GraphQLStreamResult<T>> {
  return new Promise((resolve) => {
    const events: T[] = [];
    const errors: unknown[] = [];
    let unsubscribe: (() => void) | undefined;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      resolve({ events, errors });
    };
    unsubscribe = subscribe({
      next: (value) => {
        if (value.errors) errors.push(...(value.errors as unknown[]));
        if (value.data) {
          const first = Object.values(value.data as Record<string, T>)[0];
          if (first !== undefined && first !== null) events.push(first);
        }
        if (stopAfter?.(events)) {
          unsubscribe?.();
          finish();
        }
      },
      error: (error) => {
        errors.push(...(Array.isArray(error) ? error : [error]));
        finish();
      },
      complete: finish,
    });
  });
}
