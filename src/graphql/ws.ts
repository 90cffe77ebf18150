// graphql-ws (graphql-transport-ws) on /graphql, executing through the same yoga instance so
// that context, error masking and plugins are identical to HTTP. A socket is authenticated at
// connection_init (the `authorization` connection parameter): without a valid key it is closed
// with 4401 after WS_AUTH_TIMEOUT_MS; its key's socket and subscription caps are kept by the guard.
import { GraphQLError, type ExecutionArgs } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import type { WebSocket, WebSocketServer } from 'ws';
import type { Principal } from '../domain/access/principal.ts';
import type { SocketGuard } from '../http/socket-guard.ts';
import { badInputError } from './errors.ts';
import { rejected } from './sse-request-errors.ts';
import type { GraphQLHandler } from './yoga.ts';

interface EnvelopedRoot {
  execute: (args: ExecutionArgs) => unknown;
  subscribe: (args: ExecutionArgs) => unknown;
}

export interface GraphQLWebSocketOptions {
  sockets: SocketGuard;
  authenticate: (authorization: string | undefined) => Promise<Principal>;
}

function authorizationOf(params: Readonly<Record<string, unknown>> | undefined): string | undefined {
  const value = params?.authorization ?? params?.Authorization;
  return typeof value === 'string' ? value : undefined;
}

export function attachGraphQLWebSocket(yoga: GraphQLHandler, wss: WebSocketServer, { sockets, authenticate }: GraphQLWebSocketOptions): ReturnType<typeof useServer> {
  const socketOf = (extra: unknown): WebSocket => (extra as { socket: WebSocket }).socket;
  return useServer(
    {
      execute: (args) => (args.rootValue as EnvelopedRoot).execute(args) as never,
      subscribe: (args) => (args.rootValue as EnvelopedRoot).subscribe(args) as never,
      // The guard closes unauthenticated sockets first (4401); this is only a backstop.
      connectionInitWaitTimeout: 24 * 60 * 60 * 1000,
      onConnect: async (ctx) => {
        const ws = socketOf(ctx.extra);
        // No valid key: operations answer UNAUTHENTICATED until the guard closes the socket (4401).
        const principal = await authenticate(authorizationOf(ctx.connectionParams)).catch(() => undefined);
        return principal ? sockets.admit(ws, principal) : true;
      },
      onComplete: (ctx) => sockets.unsubscribe(socketOf(ctx.extra)),
      onSubscribe: async (ctx, _id, params) => {
        const counted = sockets.admitted(socketOf(ctx.extra));
        if (counted && !sockets.subscribe(socketOf(ctx.extra))) {
          return [new GraphQLError('Too many subscriptions open for this API key', { extensions: { code: 'RATE_LIMITED', retryAfterMs: 1_000 } })];
        }
        const request = new Request('http://localhost/graphql', { method: 'POST' });
        const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
          ...ctx,
          request,
          connectionParams: ctx.connectionParams ?? {},
          params,
        });
        let document;
        try {
          document = parse(params.query);
        } catch (error) {
          if (counted) sockets.unsubscribe(socketOf(ctx.extra));
          // A syntax error is the client's: BAD_INPUT, as over HTTP and SSE.
          const syntax = error instanceof Error && error.name === 'GraphQLError' ? (error as GraphQLError) : new GraphQLError('Syntax Error: the query could not be parsed');
          return [badInputError(syntax, false, { socket: true })];
        }
        // (an operation limit rejects by throwing its GraphQLError: BAD_INPUT too)
        const errors = rejected(() => validate(schema, document));
        if (errors.length > 0) {
          if (counted) sockets.unsubscribe(socketOf(ctx.extra));
          return errors.map((e) => (e.extensions?.code === 'BAD_INPUT' ? e : badInputError(e, false, { socket: true })));
        }
        const args: ExecutionArgs = {
          schema,
          operationName: params.operationName,
          document,
          variableValues: params.variables,
          contextValue: await contextFactory(),
          rootValue: { execute, subscribe } satisfies EnvelopedRoot,
        };
        return args;
      },
    },
    wss,
  );
}
