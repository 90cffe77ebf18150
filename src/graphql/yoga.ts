// graphql-yoga over the Pothos schema: HTTP (POST/GET), SSE subscriptions, offline GraphiQL,
// the error mapping, metrics. The WebSocket side lives in ws.ts and reuses this yoga instance.
import { useGraphQlJit } from '@envelop/graphql-jit';
import { getOperationAST } from 'graphql';
import { createYoga, type Plugin } from 'graphql-yoga';
import type { Services } from '../domain/services.ts';
import { AppError, HTTP_STATUS } from '../platform/errors.ts';
import { noteRequest } from '../platform/request-context.ts';
import type { Logger } from '../platform/logger.ts';
import type { Metrics } from '../platform/metrics.ts';
import type { GraphQLContext } from './builder.ts';
import { createMessageLoader } from './message-loader.ts';
import { operationLimitPlugins, type OperationLimits } from './operation-limits.ts';
import { bodyLimitPlugin, mediaBodyLimitPlugin } from './body-limit.ts';
import { createBalanceHeaders } from './balance-headers.ts';
import { createMaskError, validationCodePlugin } from './errors.ts';
import { schema } from './schema/index.ts';
import { GRAPHIQL_OPTIONS, renderGraphiQLLazily } from './graphiql-page.ts';
import { tracingPlugin } from './tracing-plugin.ts';
import { streamGuardPlugin } from './stream-errors.ts';
import { sseReservationsPlugin } from './sse-reservations.ts';

export interface YogaDeps {
  services: Services;
  logger: Logger;
  metrics: Metrics;
  maxBodyBytes: number;
  /** GraphiQL served (and, in production, introspection allowed). */
  graphiql: boolean;
  limits: Omit<OperationLimits, 'introspection'>;
  production: boolean;
  /** LOG_PROMPTS: log each operation's query and variables (prompts included). Off by default. */
  logPrompts?: boolean;
  /** graphql-sse reservations (PUT /graphql/stream): lapse time and cap per key. */
  sseReservations: { lapseMs: number; maxPerKey: number };
}

interface ServerContext {
  /** Set by the graphql-ws bridge: the connection's params. */
  connectionParams?: Readonly<Record<string, unknown>>;
}


/** The operations whose body may reach the media limit (audio inputs): see the server's mediaBodyBytes. */
export const MEDIA_OPERATIONS = ['transcribe'] as const;
export function createGraphQLHandler({ services, logger, metrics, maxBodyBytes, graphiql, limits, production, logPrompts, sseReservations }: YogaDeps) {
  const balance = createBalanceHeaders(services, logger);
  return createYoga<ServerContext, GraphQLContext>({
    schema,
    graphqlEndpoint: '/graphql',
    landingPage: false,
    // CORS is decided by the server's allow-list (CORS_ORIGINS) for every path, not by yoga.
    cors: false,
    // Bodies are bounded before yoga: a declared Content-Length by the server (over MAX_BODY_BYTES:
    // 413; node:http never reads past it), a chunked body by bodyLimitPlugin. Yoga's own limiter
    // would wrap every body in a TransformStream and a second Request (~6% of a call's CPU).
    maxRequestBodySize: false,
    graphiql: graphiql ? GRAPHIQL_OPTIONS : false,
    renderGraphiQL: renderGraphiQLLazily,
    maskedErrors: { maskError: createMaskError(logger, { production }) },
    logging: {
      debug: () => {},
      info: () => {},
      // request errors are the client's; internal ones are logged once by the error mapping
      // (as errors, so the logger's redaction applies: a library's message may quote variables)
      warn: (...args: unknown[]) => logger.debug('graphql', { detail: args[0] instanceof Error ? args[0] : new Error(String(args[0])) }),
      error: (...args: unknown[]) => logger.debug('graphql', { detail: args[0] instanceof Error ? args[0] : new Error(String(args[0])) }),
    },
    plugins: [
      bodyLimitPlugin(maxBodyBytes),
      mediaBodyLimitPlugin(maxBodyBytes, MEDIA_OPERATIONS),
      ...operationLimitPlugins({ ...limits, introspection: graphiql || !production }),
      validationCodePlugin({ production }),
      metricsPlugin(metrics),
      ...(logPrompts ? [promptLogPlugin(logger)] : []),
      tracingPlugin(),
      // graphql-sse's single-connection mode (and distinct connections) on /graphql/stream;
      // reservations need a valid key and lapse
      sseReservationsPlugin({
        endpoint: '/graphql/stream',
        authenticate: (authorization) => services.access.authenticate(authorization),
        ...sseReservations,
        liveStreams: services.liveStreams,
        onUnexpected: (error) => {
          metrics.internal('stream');
          logger.error('graphql-sse stream failed', { cause: error });
        },
        onCount: (count) => metrics.sseReservations.set(count),
      }),
      // a subscription's event stream that throws, or whose key is revoked, ends with an error event
      streamGuardPlugin(services.liveStreams, () => metrics.internal('stream')),
      balance.plugin,
      // graphql-jit compiles each query/mutation once (cached by document) and runs it without
      // graphql-js's per-field walk. Subscriptions stay on graphql-js (under jit every
      // graphql-sse/graphql-ws subscription failed).
      useGraphQlJit({}, { enableIf: ({ document, operationName }) => getOperationAST(document, operationName)?.operation !== 'subscription' }),
    ],
    context: async ({ request, connectionParams }): Promise<GraphQLContext> => {
      const authorization =
        stringParam(connectionParams, 'authorization') ?? stringParam(connectionParams, 'Authorization') ?? request.headers.get('authorization');
      const idempotencyKey = request.headers.get('idempotency-key') ?? undefined;
      const auth = await services.access.authenticate(authorization).then(
        (principal) => {
          noteRequest({ userId: principal.userId });
          return { principal };
        },
        (error: AppError) => ({ error }),
      );
      if ('principal' in auth && !connectionParams) balance.remember(request, auth.principal);
      const transport = connectionParams ? 'graphql-ws' : request.headers.get('accept')?.includes('text/event-stream') ? 'graphql-sse' : 'graphql-http';
      const context = { services, auth, idempotencyKey, signal: connectionParams ? undefined : request.signal, transport };
      const principal = () => {
        if ('error' in auth) throw auth.error;
        return auth.principal;
      };
      return { ...context, messageLoader: createMessageLoader(services, principal) };
    },
  });
}

export type GraphQLHandler = ReturnType<typeof createGraphQLHandler>;

function stringParam(params: Readonly<Record<string, unknown>> | undefined, name: string): string | undefined {
  const value = params?.[name];
  return typeof value === 'string' ? value : undefined;
}

/** LOG_PROMPTS=true only: the operation's text and variables, on the request's log lines. */
function promptLogPlugin(logger: Logger): Plugin {
  return {
    onParams({ params }) {
      logger.info('graphql params (LOG_PROMPTS)', { query: params.query?.slice(0, 100_000), variables: params.variables });
    },
  };
}

/**
 * Requests by operation and outcome, errors by code. The operation label is the first root field
 * (a schema name, so bounded; the client's free-form operationName is never a label).
 */
function metricsPlugin(metrics: Metrics): Plugin {
  const measure = (args: { document: { definitions: readonly unknown[] } }) => {
    const started = performance.now();
    const operation = metrics.operationLabel(firstFieldName(args.document));
    noteRequest({ operation });
    return (result: unknown) => {
      const errors = (result as { errors?: ReadonlyArray<unknown> }).errors;
      metrics.observe('graphql', operation, errors?.length ? errorCode(errors[0]) : 'ok', (performance.now() - started) / 1000);
    };
  };
  return {
    onResultProcess({ result }) {
      // The final, masked result: every error here was answered to the client (streams: per event).
      const results = Array.isArray(result) ? result : [result];
      for (const r of results) {
        const errors = (r as { errors?: ReadonlyArray<unknown> } | null)?.errors ?? [];
        for (const e of errors) {
          const code = errorCode(e);
          metrics.error('graphql', code);
          noteRequest({ appCode: code });
        }
      }
    },
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

/** An error's contract code: extensions.code, an AppError's code before masking, else INTERNAL. */
function errorCode(error: unknown): string {
  const e = error as { extensions?: Record<string, unknown>; originalError?: unknown };
  const code = e.extensions?.code;
  if (typeof code === 'string' && code in HTTP_STATUS) return code;
  if (e.originalError instanceof AppError) return e.originalError.code;
  return 'INTERNAL';
}

function firstFieldName(document: { definitions: readonly unknown[] }): string | undefined {
  const def = document.definitions[0] as { selectionSet?: { selections?: Array<{ name?: { value: string } }> } } | undefined;
  return def?.selectionSet?.selections?.[0]?.name?.value;
}
