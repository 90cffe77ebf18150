// The composition root: builds the database, the upstream client, the services and the server
// from one Env. Tests build the same app with their own Env (port 0, a fresh database).
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { openDatabase, type Database } from './db/index.ts';
import { createAccessService } from './domain/access/access-service.ts';
import { createUserSettings } from './domain/access/user-settings.ts';
import type { Admission } from './domain/generation/admission.ts';
import { createCallRunner } from './domain/generation/call-runner.ts';
import { createGenerationService } from './domain/generation/generation-service.ts';
import { createChatService } from './domain/chat/chat-service.ts';
import { createConversationStore } from './domain/chat/conversation-store.ts';
import { createGatewayRegistry } from './domain/gateways/gateway-registry.ts';
import type { Services } from './domain/services.ts';
import { createLedger, type Ledger } from './domain/usage/ledger.ts';
import type { Pricing } from './domain/usage/pricing.ts';
import { createPricingService } from './domain/usage/pricing-service.ts';
import { loadPriceFile } from './domain/usage/price-file.ts';
import { createUsageReports } from './domain/usage/usage-report.ts';
import { createGatewayService } from './domain/gateways/gateway-service.ts';
import { createUserLimitsAdmin } from './domain/admin/user-limits.ts';
import { isOffline, type Env } from './env.ts';
import { startSimulator, type Simulator } from './simulator/server.ts';
import { createUpstreamClient, upstreamConfigFromEnv } from './upstream/client.ts';
import type { UpstreamClient } from './call-vocabulary.ts';
import { createGraphQLHandler } from './graphql/yoga.ts';
import { createIdempotency } from './domain/idempotency/idempotency.ts';
import { createLimitAdmission } from './domain/limits/limit-admission.ts';
import type { LimitStore } from './domain/limits/limit-store.ts';
import { createMemoryLimitStore } from './domain/limits/memory-limit-store.ts';
import { createRedisLimitStore } from './domain/limits/redis-limit-store.ts';
import { closeRedisClient, createRedisClient } from './redis.ts';
import { createLogger, type Logger } from './logger.ts';
import { createMetrics } from './metrics.ts';
import { createHttpServer, type HttpServer } from './server.ts';
import { startTracing, type SpanExporter } from './tracing.ts';
import { createGraphiQLPage } from './graphql/graphiql-page.ts';
import { createContextFactory } from './trpc/init.ts';
import { appRouter } from './trpc/router.ts';

export interface App {
  env: Env;
  db: Database;
  services: Services;
  upstream: UpstreamClient;
  ledger: Ledger;
  /** The in-process simulator, in offline mode. */
  simulator?: Simulator;
  /** Offline mode without ADMIN_API_KEY: this process's random admin key. */
  devAdminKey?: string;
  logger: Logger;
  http: HttpServer;
  /** Starts listening on env.PORT/env.HOST (or the given port); resolves to the base URL. */
  listen(port?: number): Promise<string>;
  /** Graceful stop: drain requests and streams (bounded), then close the database. */
  close(): Promise<void>;
}

export interface AppOverrides {
  logger?: Logger;
  pricing?: Pricing;
  admission?: Admission;
  /** Tests: traces go to this exporter (tracing on without OTEL_EXPORTER_OTLP_ENDPOINT). */
  spanExporter?: SpanExporter;
}

/** Limits shared through Redis when REDIS_URL is set, else kept in this process. */
function limitStoreFor(env: Env, logger: Logger, cleanup: Array<() => Promise<void>>): LimitStore {
  if (!env.REDIS_URL) return createMemoryLimitStore();
  const redis = createRedisClient({ url: env.REDIS_URL, logger, timeoutMs: env.REDIS_TIMEOUT_MS });
  cleanup.push(() => closeRedisClient(redis));
  return createRedisLimitStore({ redis, keyPrefix: env.REDIS_KEY_PREFIX, connectWaitMs: env.REDIS_TIMEOUT_MS });
}

/** The gateways seeded from configuration: DEFAULT_GATEWAY_ID plus the GATEWAYS list. */
function gatewaySeed(env: Env): string[] {
  const listed = env.GATEWAYS.split(',').map((g) => g.trim()).filter(Boolean);
  return [...new Set([env.DEFAULT_GATEWAY_ID, ...listed])];
}

export async function createApp(env: Env, overrides: AppOverrides = {}): Promise<App> {
  const secrets = [env.CLOUDFLARE_API_TOKEN, env.ADMIN_API_KEY].filter((s): s is string => Boolean(s));
  const logger = overrides.logger ?? createLogger(env.LOG_LEVEL, secrets);
  const db = await openDatabase({ databaseUrl: env.DATABASE_URL, dataDir: env.DATA_DIR, log: (m) => logger.info(m) });
  const cleanup: Array<() => Promise<void>> = [() => db.close()];
  const tracing = startTracing({ endpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT, serviceName: env.OTEL_SERVICE_NAME, exporter: overrides.spanExporter });
  cleanup.push(() => tracing.shutdown());
  try {
    const metrics = createMetrics();
    // Offline mode without ADMIN_API_KEY: a random admin key for this process only (printed on
    // start), so a newcomer can use GraphiQL at once. Never outside offline mode.
    const devAdminKey = !env.ADMIN_API_KEY && isOffline(env) ? `dev_${randomBytes(24).toString('base64url')}` : undefined;
    const access = createAccessService({ prisma: db.prisma, adminApiKey: env.ADMIN_API_KEY ?? devAdminKey, cacheTtlMs: env.AUTH_CACHE_TTL_MS });
    await access.ensureBootstrapAdmin();
    if (env.ADMIN_API_KEY && env.ADMIN_API_KEY.length < 16) logger.warn('ADMIN_API_KEY is short: use a long random value outside development');
    const userSettings = createUserSettings({ prisma: db.prisma, ttlMs: env.AUTH_CACHE_TTL_MS });

    let simulator: Simulator | undefined;
    let upstreamConfig = upstreamConfigFromEnv(env);
    if (isOffline(env)) {
      simulator = await startSimulator({ gateways: gatewaySeed(env) });
      cleanup.push(() => simulator!.close());
      upstreamConfig = { ...upstreamConfig, baseUrl: simulator.baseUrl, accountId: 'offline', apiToken: 'offline-simulator' };
      logger.warn(`OFFLINE MODE: no CLOUDFLARE_API_TOKEN, so calls go to the built-in simulator at ${simulator.baseUrl} (replies are simulated)`);
    }
    const upstream = createUpstreamClient(upstreamConfig);
    cleanup.push(() => upstream.close());

    const gateways = createGatewayRegistry({ prisma: db.prisma, defaultGatewayId: env.DEFAULT_GATEWAY_ID, seed: gatewaySeed(env) });
    await gateways.init();
    const stopGatewayRefresh = gateways.startRefresh(60_000);
    cleanup.push(async () => stopGatewayRefresh());
    const ledger = createLedger({
      db,
      logger,
      onWritten: (rows) => rows.forEach((r) => metrics.upstreamCalls.inc({ api: r.api, status: r.status })),
    });
    const prices = createPricingService({ prisma: db.prisma, priceFile: loadPriceFile(env.PRICE_FILE), routeFor: (m) => upstream.routeFor(m) });
    await prices.init();
    cleanup.push(async () => prices.close());
    const pricing: Pricing = overrides.pricing ?? prices.pricing;
    const admission: Admission = overrides.admission ?? createLimitAdmission({
      userSettings,
      defaults: { requestsPerMinute: env.DEFAULT_REQUESTS_PER_MINUTE, tokensPerDay: env.DEFAULT_TOKENS_PER_DAY, monthlyBudgetUsd: env.DEFAULT_MONTHLY_BUDGET_USD },
      store: limitStoreFor(env, logger, cleanup),
      pricing,
      reservationTtlMs: env.LIMIT_RESERVATION_TTL_MS,
      onRefusal: (limit) => metrics.refusals.inc({ limit }),
      logger,
    });
    const runner = createCallRunner({ upstream, ledger, pricing, admission });
    // A PENDING idempotency row is waited for as long as its call may take, then presumed abandoned.
    const idempotency = createIdempotency({ prisma: db.prisma, pendingLeaseMs: env.UPSTREAM_TIMEOUT_MS * (env.UPSTREAM_MAX_RETRIES + 1) + 60_000 });
    const generation = createGenerationService({ runner, gateways, userSettings, maxMessageBytes: env.MAX_MESSAGE_BYTES, idempotency });
    const chat = createChatService({ store: createConversationStore(db.prisma), generation, runner, idempotency });
    const services: Services = {
      access,
      generation,
      chat,
      gateways: createGatewayService({ prisma: db.prisma, registry: gateways, userSettings, upstream }),
      pricing: prices,
      usage: createUsageReports({ prisma: db.prisma }),
      userLimits: createUserLimitsAdmin({ prisma: db.prisma, userSettings }),
    };

    const http = createHttpServer({
      yoga: createGraphQLHandler({ services, logger, metrics, maxBodyBytes: env.MAX_BODY_BYTES }),
      router: appRouter,
      createContext: createContextFactory({ services, metrics, logger }),
      metrics,
      ready: () => db.ping(),
      maxBodyBytes: env.MAX_BODY_BYTES,
      graphiqlPage: createGraphiQLPage(),
    });

    let closing: Promise<void> | undefined;
    return {
      env,
      db,
      services,
      upstream,
      ledger,
      simulator,
      devAdminKey,
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
          await ledger.drain();
          for (const step of cleanup.reverse()) await step().catch((error) => logger.error('close failed', { cause: error }));
        })()),
    };
  } catch (error) {
    for (const step of cleanup.reverse()) await step().catch(() => {});
    throw error;
  }
}
