// graphql-ws (graphql-transport-ws) on /graphql, executing through the same yoga instance so
// that context, error masking and plugins are identical to HTTP.
import type { ExecutionArgs } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import type { WebSocketServer } from 'ws';
import type { GraphQLHandler } from './yoga.ts';

interface EnvelopedRoot {
  execute: (args: ExecutionArgs) => unknown;
  subscribe: (args: ExecutionArgs) => unknown;
}

export function attachGraphQLWebSocket(yoga: GraphQLHandler, wss: WebSocketServer): ReturnType<typeof useServer> {
  return useServer(
    {
      execute: (args) => (args.rootValue as EnvelopedRoot).execute(args) as never,
      subscribe: (args) => (args.rootValue as EnvelopedRoot).subscribe(args) as never,
      onSubscribe: async (ctx, _id, params) => {
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
          return [error as never];
        }
        const errors = validate(schema, document);
        if (errors.length > 0) return errors;
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
