// createSwitchboardClient: the @trpc/client proxy for AppRouter with the links set up:
// queries and mutations batched over HTTP, subscriptions over SSE (default) or a WebSocket (transport 'ws').
// The key never goes in a URL: HTTP calls and SSE streams send it in the Authorization header (SSE
// through the `eventsource` package, whose requests go through a fetch that adds the header; a
// browser's own EventSource cannot send headers, and Node 20's is experimental), a WebSocket in
// its first message (connection params). Node 20 has no global WebSocket: ws is used then.
import { createTRPCClient, createWSClient, httpBatchLink, httpSubscriptionLink, splitLink, wsLink, type TRPCClient, type TRPCLink } from '@trpc/client';
import { EventSource } from 'eventsource';
import NodeWebSocket from 'ws';
import type { AppRouter } from '../../../src/trpc/router.ts';

export interface SwitchboardClientOptions {
  /** The server's base URL, e.g. http://127.0.0.1:4000 (the client adds /trpc). */
  url: string;
  /** An API key: sent as `Authorization: Bearer <apiKey>` (WebSocket: the connection params), never in a URL. */
  apiKey: string;
  /** How subscriptions travel: 'sse' (default, httpSubscriptionLink) or 'ws' (wsLink); queries and mutations are batched over HTTP either way. */
  transport?: 'sse' | 'ws' | undefined;
  /** The most calls per HTTP batch; keep it at or under the server's TRPC_MAX_BATCH (default 10). */
  maxBatchSize?: number | undefined;
}

export type SwitchboardClient = TRPCClient<AppRouter>;

// The proxy answers every property as a procedure path, so the WebSocket to close is kept aside.
const sockets = new WeakMap<object, { close: () => Promise<void> | void }>();

export function createSwitchboardClient(options: SwitchboardClientOptions): SwitchboardClient {
  const base = options.url.replace(/\/+$/, '');
  const authorization = `Bearer ${options.apiKey}`;
  const batch = httpBatchLink<AppRouter>({ url: `${base}/trpc`, headers: { authorization }, maxItems: options.maxBatchSize ?? 10 });
  let subscriptions: TRPCLink<AppRouter>;
  let socket: { close: () => Promise<void> | void } | undefined;
  if (options.transport === 'ws') {
    const ws = createWSClient({
      url: `${base.replace(/^http/, 'ws')}/trpc`,
      WebSocket: (globalThis.WebSocket ?? NodeWebSocket) as unknown as typeof WebSocket,
      connectionParams: { authorization },
      // Opened on the first subscription, closed when idle so a script can exit without close().
      lazy: { enabled: true, closeMs: 2_000 },
    });
    socket = ws;
    subscriptions = wsLink<AppRouter>({ client: ws });
  } else {
    subscriptions = httpSubscriptionLink<AppRouter, typeof EventSource>({
      url: `${base}/trpc`,
      EventSource,
      eventSourceOptions: { fetch: (input, init) => fetch(input, { ...init, headers: { ...init?.headers, authorization } }) },
    });
  }
  const links = [splitLink<AppRouter>({ condition: (op) => op.type === 'subscription', true: subscriptions, false: batch })];
  const client = createTRPCClient<AppRouter>({ links });
  if (socket) sockets.set(client, socket);
  return client;
}

/** Closes the client's WebSocket now (transport 'ws'); a no-op for SSE clients. */
export async function closeSwitchboardClient(client: SwitchboardClient): Promise<void> {
  await sockets.get(client)?.close();
  sockets.delete(client);
}
