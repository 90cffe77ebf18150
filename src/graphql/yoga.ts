// graphql-yoga over the Pothos schema: HTTP (POST/GET), SSE subscriptions, offline GraphiQL,
// the error mapping, metrics. The WebSocket side lives in ws.ts and reuses this yoga instance.
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import { createYoga, type Plugin } from 'graphql-yoga';
import type { Services } from '../domain/services.ts';
import type { AppError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';
import type { GraphQLContext } from './builder.ts';
import { bodyLimitPlugin } from './body-limit.ts';
import { createBalanceHeaders } from './balance-headers.ts';
import { createMaskError, validationCodePlugin } from './errors.ts';
import { schema } from './schema/index.ts';

export interface YogaDeps {
  services: Services;
  logger: Logger;
  metrics: Metrics;
  maxBodyBytes: number;
}

interface ServerContext {
  /** Set by the graphql-ws bridge: the connection's params. */
  connectionParams?: Readonly<Record<string, unknown>>;
}

export function createGraphQLHandler({ services, logger, metrics, maxBodyBytes }: YogaDeps) {
  const balance = createBalanceHeaders(services, logger);
  return createYoga<ServerContext, GraphQLContext>({
    schema,
    graphqlEndpoint: '/graphql',
    landingPage: false,
    graphiql: { title: 'Switchboard', subscriptionsProtocol: 'SSE' },
    renderGraphiQL,
    maskedErrors: { maskError: createMaskError(logger) },
    logging: {
      debug: () => {},
      info: () => {},
      // request errors are the client's; internal ones are logged once by the error mapping
      warn: (...args: unknown[]) => logger.debug('graphql', { detail: String(args[0]) }),
      error: (...args: unknown[]) => logger.debug('graphql', { detail: String(args[0]) }),
    },
    plugins: [bodyLimitPlugin(maxBodyBytes), validationCodePlugin(), metricsPlugin(metrics), balance.plugin],
    context: async ({ request, connectionParams }): Promise<GraphQLContext> => {
      const authorization =
        stringParam(connectionParams, 'authorization') ?? stringParam(connectionParams, 'Authorization') ?? request.headers.get('authorization');
      const idempotencyKey = request.headers.get('idempotency-key') ?? undefined;
      const auth = await services.access.authenticate(authorization).then(
        (principal) => ({ principal }),
        (error: AppError) => ({ error }),
      );
      if ('principal' in auth && !connectionParams) balance.remember(request, auth.principal);
      const transport = connectionParams ? 'graphql-ws' : request.headers.get('accept')?.includes('text/event-stream') ? 'graphql-sse' : 'graphql-http';
      return { services, auth, idempotencyKey, signal: connectionParams ? undefined : request.signal, transport };
    },
  });
}

export type GraphQLHandler = ReturnType<typeof createGraphQLHandler>;

function stringParam(params: Readonly<Record<string, unknown>> | undefined, name: string): string | undefined {
  const value = params?.[name];
  return typeof value === 'string' ? value : undefined;
}

function metricsPlugin(metrics: Metrics): Plugin {
  const measure = (args: { operationName?: string | null; document: { definitions: readonly unknown[] } }) => {
    const started = performance.now();
    const operation = args.operationName ?? firstFieldName(args.document) ?? 'anonymous';
    return (result: unknown) => {
      const errors = (result as { errors?: ReadonlyArray<{ extensions?: Record<string, unknown> }> }).errors;
      const code = errors?.[0]?.extensions?.code;
      metrics.observe('graphql', operation, typeof code === 'string' ? code : 'ok', (performance.now() - started) / 1000);
    };
  };
  return {
    onExecute({ args }) {
      const done = measure(args);
      return { onExecuteDone: ({ result }) => done(result) };
    },
    onSubscribe({ args }) {
      const done = measure(args);
      return { onSubscribeResult: ({ result }) => done(result) };
    },
  };
}

function firstFieldName(document: { definitions: readonly unknown[] }): string | undefined {
  const def = document.definitions[0] as { selectionSet?: { selections?: Array<{ name?: { value: string } }> } } | undefined;
  return def?.selectionSet?.selections?.[0]?.name?.value;
}
