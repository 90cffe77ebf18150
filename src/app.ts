// The composition root: the services (composition/services.ts) with the HTTP edge on them, from
// one Env. Tests build the same app with their own Env (port 0, a fresh database).
import type { AddressInfo } from 'node:net';
import { createServices, type Composition, type ServiceOptions } from './composition/services.ts';
import { createOtlpRoutes } from './composition/reconciliation.ts';
import { corsOrigins, graphiqlEnabled, keysInUrlAllowed, type Env } from './platform/env.ts';
import { graphqlOperationNames } from './graphql/schema/index.ts';
import { createGraphQLHandler } from './graphql/yoga.ts';
import { createGraphiQLPage } from './graphql/graphiql-page.ts';
import { createHttpServer, type HttpServer } from './http/server.ts';
import { createCompatHandler } from './http/compat-handler.ts';
import { createDashboardHandler } from './http/dashboard-static.ts';
import { createContextFactory } from './trpc/init.ts';
import { appRouter } from './trpc/router.ts';

export interface App extends Omit<Composition, 'close'> {
  http: HttpServer;
  /** Starts listening on env.PORT/env.HOST (or the given port); resolves to the base URL. */
  listen(port?: number): Promise<string>;
  /** Graceful stop: drain requests and streams (bounded), then close the database. */
  close(): Promise<void>;
}

export interface AppOverrides extends Omit<ServiceOptions, 'operations' | 'background'> {
  /** Tests: false sends every request through yoga's and tRPC's own handlers (the fast paths). */
  fastPaths?: boolean;
}

/** Operation names that may label metrics: GraphQL root fields and tRPC procedure paths. */
function knownOperations(): string[] {
  return [...graphqlOperationNames(), ...Object.keys(appRouter._def.procedures)];
}

export async function createApp(env: Env, overrides: AppOverrides = {}): Promise<App> {
  const { fastPaths, ...options } = overrides;
  const core = await createServices(env, { ...options, operations: knownOperations() });
  const { services, logger, metrics, db, sockets } = core;
  try {
    const http = createHttpServer({
      yoga: createGraphQLHandler({
        services,
        logger,
        metrics,
        maxBodyBytes: env.MAX_BODY_BYTES,
        graphiql: graphiqlEnabled(env),
        production: env.NODE_ENV === 'production',
        logPrompts: env.LOG_PROMPTS,
        sseReservations: { lapseMs: env.WS_AUTH_TIMEOUT_MS, maxPerKey: env.WS_MAX_SOCKETS_PER_KEY },
        limits: { maxDepth: env.GRAPHQL_MAX_DEPTH, maxAliases: env.GRAPHQL_MAX_ALIASES, maxTokens: env.GRAPHQL_MAX_TOKENS, maxCost: env.GRAPHQL_MAX_COST },
      }),
      router: appRouter,
      createContext: createContextFactory({ services, metrics, logger, logPrompts: env.LOG_PROMPTS, allowKeysInUrl: keysInUrlAllowed(env) }),
      metrics,
      logger,
      ready: () => db.ping(),
      maxBodyBytes: env.MAX_BODY_BYTES,
      // Audio (transcribe) as base64 JSON: MAX_AUDIO_BYTES grows by a third, plus the ordinary body.
      maxMediaBodyBytes: env.MAX_BODY_BYTES + Math.ceil(env.MAX_AUDIO_BYTES / 3) * 4,
      dashboard: createDashboardHandler(),
      trpcMaxBatch: env.TRPC_MAX_BATCH,
      fastPaths,
      metricsToken: env.METRICS_TOKEN,
      corsOrigins: corsOrigins(env),
      sockets,
      authenticate: (authorization) => services.access.authenticate(authorization),
      graphiqlPage: graphiqlEnabled(env) ? createGraphiQLPage() : undefined,
      compat: createCompatHandler({ services, logger, maxBodyBytes: env.MAX_BODY_BYTES }),
      routes: createOtlpRoutes({ env, db, logger, metrics }),
    });
    let closing: Promise<void> | undefined;
    return {
      ...core,
      http,
      listen: (port = env.PORT) =>
        new Promise((resolve, reject) => {
          http.server.once('error', reject);
          http.server.listen(port, env.HOST, () => {
            const address = http.server.address() as AddressInfo;
            const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
            resolve(`http://${host}:${address.port}`);
          });
        }),
      close: () =>
        (closing ??= (async () => {
          if (http.server.listening) await http.shutdown(env.SHUTDOWN_GRACE_MS);
          await core.close();
        })()),
    };
  } catch (error) {
    await core.close().catch(() => {});
    throw error;
  }
}
