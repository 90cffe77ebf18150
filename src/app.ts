// The composition root: builds the database, the upstream client, the services and the server
// from one Env. Tests build the same app with their own Env (port 0, a fresh database).
import type { AddressInfo } from 'node:net';
import { openDatabase, type Database } from './db/index.ts';
import { createAccessService } from './domain/access/access-service.ts';
import type { Services } from './domain/services.ts';
import type { Env } from './env.ts';
import { createGraphQLHandler } from './graphql/yoga.ts';
import { createLogger, type Logger } from './logger.ts';
import { createMetrics } from './metrics.ts';
import { createHttpServer, type HttpServer } from './server.ts';
import { createContextFactory } from './trpc/init.ts';
import { appRouter } from './trpc/router.ts';

export interface App {
  env: Env;
  db: Database;
  services: Services;
  logger: Logger;
  http: HttpServer;
  /** Starts listening on env.PORT/env.HOST (or the given port); resolves to the base URL. */
  listen(port?: number): Promise<string>;
  /** Graceful stop: drain requests and streams (bounded), then close the database. */
  close(): Promise<void>;
}

export interface AppOverrides {
  logger?: Logger;
}

export async function createApp(env: Env, overrides: AppOverrides = {}): Promise<App> {
  const secrets = [env.CLOUDFLARE_API_TOKEN, env.ADMIN_API_KEY].filter((s): s is string => Boolean(s));
  const logger = overrides.logger ?? createLogger(env.LOG_LEVEL, secrets);
  const db = await openDatabase({ databaseUrl: env.DATABASE_URL, dataDir: env.DATA_DIR, log: (m) => logger.info(m) });
  const cleanup: Array<() => Promise<void>> = [() => db.close()];
  try {
    const metrics = createMetrics();
    const access = createAccessService({ prisma: db.prisma, adminApiKey: env.ADMIN_API_KEY, cacheTtlMs: env.AUTH_CACHE_TTL_MS });
    await access.ensureBootstrapAdmin();
    const services: Services = { access };

    const http = createHttpServer({
      yoga: createGraphQLHandler({ services, logger, metrics }),
      router: appRouter,
      createContext: createContextFactory({ services, metrics, logger }),
      metrics,
      ready: () => db.ping(),
      maxBodyBytes: env.MAX_BODY_BYTES,
    });

    let closing: Promise<void> | undefined;
    return {
      env,
      db,
      services,
      logger,
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
          for (const step of cleanup.reverse()) await step().catch((error) => logger.error('close failed', { cause: error }));
        })()),
    };
  } catch (error) {
    for (const step of cleanup.reverse()) await step().catch(() => {});
    throw error;
  }
}
