// createServices(env): everything a Switchboard process runs on, built once from one Env: the
// database, the upstream client, the limit stores, the ledger and every domain service. The
// server (src/app.ts) puts the HTTP edge on it; the CLIs use it as it is (background: false).
import { createModalityService } from '../domain/modalities/modality-service.ts';
import { createAudioFetcher } from '../upstream/audio-fetch.ts';
import { randomBytes } from 'node:crypto';
import { openDatabase, type Database } from '../db/index.ts';
import { createAccessService } from '../domain/access/access-service.ts';
import { createUserSettings } from '../domain/access/user-settings.ts';
import type { Admission } from '../domain/generation/admission.ts';
import { createCallRunner } from '../domain/generation/call-runner.ts';
import { createGenerationService } from '../domain/generation/generation-service.ts';
import { createChatService } from '../domain/chat/chat-service.ts';
import { createConversationStore } from '../domain/chat/conversation-store.ts';
import { createGatewayRegistry } from '../domain/gateways/gateway-registry.ts';
import type { Services } from '../domain/services.ts';
import { createLedger, type Ledger } from '../domain/ledger/ledger.ts';
import type { Pricing } from '../domain/pricing/pricing.ts';
import { createPricingService } from '../domain/pricing/pricing-service.ts';
import { loadPriceFile } from '../domain/pricing/price-file.ts';
import { createUsageReports } from '../domain/reports/usage-report.ts';
import { createRecovery, type Recovery } from '../domain/ledger/recovery.ts';
import { createDashboardReads } from '../domain/reports/dashboard-reads.ts';
import { createGatewayService } from '../domain/gateways/gateway-service.ts';
import { createUserLimitsAdmin } from '../domain/admin/user-limits.ts';
import { corsOrigins, graphiqlEnabled, isOffline, keysInUrlAllowed, type Env } from '../platform/env.ts';
import { createMessagePages } from '../domain/chat/message-pages.ts';
import { createKeyRevocations } from '../platform/key-revocations.ts';
import { createSocketGuard } from '../http/socket-guard.ts';
import { startSimulator, type Simulator } from '../simulator/server.ts';
import { createUpstreamClient } from '../upstream/client.ts';
import { upstreamConfigFromEnv } from '../upstream/config-from-env.ts';
import type { UpstreamClient } from '../upstream/call-vocabulary.ts';
import { createIdempotency } from '../domain/idempotency/idempotency.ts';
import { createLimitAdmission } from '../domain/limits/limit-admission.ts';
import type { LimitStore } from '../domain/limits/limit-store.ts';
import { createMemoryLimitStore } from '../domain/limits/memory-limit-store.ts';
import { createApiKeyLimits } from '../domain/access/api-key-limits.ts';
import { createKeySettings } from '../domain/access/key-settings.ts';
import { createLiveStreams } from '../domain/access/live-streams.ts';
import { createBalanceService } from '../domain/limits/balance-service.ts';
import { createLedgerBooks } from '../domain/limits/ledger-books.ts';
import { createLimitSubjects } from '../domain/limits/limit-subjects.ts';
import { createRemaining } from '../domain/limits/remaining.ts';
import { createTeamService } from '../domain/teams/team-service.ts';
import { createTeamSettings } from '../domain/teams/team-settings.ts';
import type { LedgerBooksSource } from '../domain/limits/limit-store.ts';
import { createRedisLimitStore } from '../platform/redis-limit-store.ts';
import { closeRedisClient, createRedisClient } from '../platform/redis.ts';
import { createLogger, type Logger } from '../platform/logger.ts';
import { createMetrics, type Metrics } from '../platform/metrics.ts';
import { createOperatorControls, type OperatorControls } from './operators.ts';
import { startTracing, type SpanExporter } from '../platform/tracing.ts';
import { createReconciliation } from './reconciliation.ts';
import { createUserDirectory } from '../domain/access/user-directory.ts';
import type { SocketGuard } from '../http/socket-guard.ts';

export interface ServiceOptions {
  logger?: Logger;
  pricing?: Pricing;
  admission?: Admission;
  /** Tests: traces go to this exporter (tracing on without OTEL_EXPORTER_OTLP_ENDPOINT). */
  spanExporter?: SpanExporter;
  /** Operation names that may label metrics (the server's GraphQL root fields and tRPC paths). */
  operations?: string[];
  /**
   * false (the CLIs): no background work: no offline simulator, no lease or recovery sweep, no
   * gateway refresh, no periodic reconciliation, alert sweep, webhook delivery or retention.
   */
  background?: boolean;
}

export interface Composition {
  env: Env;
  db: Database;
  services: Services;
  upstream: UpstreamClient;
  ledger: Ledger;
  /** This instance's lease and the sweep of calls whose instance died. */
  recovery: Recovery;
  /** The in-process simulator, in offline mode. */
  simulator?: Simulator;
  /** Offline mode without ADMIN_API_KEY: this process's random admin key. */
  devAdminKey?: string;
  logger: Logger;
  metrics: Metrics;
  /** WebSocket admission (the edge's), closed for revoked keys from any instance. */
  sockets: SocketGuard;
  /** Audit log, budget alerts, retention. */
  operators: OperatorControls;
  /** Stops the background work and closes every connection, in reverse order of opening. */
  close(): Promise<void>;
}

/** Limits shared through Redis when REDIS_URL is set, else kept in this process. */
function limitStoreFor(env: Env, logger: Logger, cleanup: Array<() => Promise<void>>, ledger: LedgerBooksSource): LimitStore {
  if (!env.REDIS_URL) return createMemoryLimitStore({ ledger });
  const redis = createRedisClient({ url: env.REDIS_URL, logger, timeoutMs: env.REDIS_TIMEOUT_MS });
  cleanup.push(() => closeRedisClient(redis));
  return createRedisLimitStore({ redis, keyPrefix: env.REDIS_KEY_PREFIX, connectWaitMs: env.REDIS_TIMEOUT_MS, ledger });
}

/** The gateways seeded from configuration: DEFAULT_GATEWAY_ID plus the GATEWAYS list. */
function gatewaySeed(env: Env): string[] {
  const listed = env.GATEWAYS.split(',').map((g) => g.trim()).filter(Boolean);
  return [...new Set([env.DEFAULT_GATEWAY_ID, ...listed])];
}

export async function createServices(env: Env, options: ServiceOptions = {}): Promise<Composition> {
  const background = options.background !== false;
  const secrets = [env.CLOUDFLARE_API_TOKEN, env.ADMIN_API_KEY].filter((s): s is string => Boolean(s));
  const logger = options.logger ?? createLogger(env.LOG_LEVEL, secrets, undefined, { logPrompts: env.LOG_PROMPTS });
  const db = await openDatabase({ databaseUrl: env.DATABASE_URL, dataDir: env.DATA_DIR, log: (m) => logger.info(m) });
  const cleanup: Array<() => Promise<void>> = [() => db.close()];
  const tracing = startTracing({ endpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT, serviceName: env.OTEL_SERVICE_NAME, exporter: options.spanExporter });
  cleanup.push(() => tracing.shutdown());
  try {
    const metrics = createMetrics({ operations: options.operations ?? [], models: loadPriceFile(env.PRICE_FILE).models.map((m) => m.model) });
    const revocations = await createKeyRevocations({ databaseUrl: env.DATABASE_URL, logger });
    cleanup.push(() => revocations.close());
    const sockets = createSocketGuard({ authTimeoutMs: env.WS_AUTH_TIMEOUT_MS, maxSocketsPerKey: env.WS_MAX_SOCKETS_PER_KEY, maxSubscriptionsPerKey: env.WS_MAX_SUBSCRIPTIONS_PER_KEY });
    // Offline mode without ADMIN_API_KEY: a random admin key for this process only (printed on
    // start), so a newcomer can use GraphiQL at once. Never outside offline mode.
    const devAdminKey = !env.ADMIN_API_KEY && isOffline(env) ? `dev_${randomBytes(24).toString('base64url')}` : undefined;
    const access = createAccessService({
      prisma: db.prisma,
      adminApiKey: env.ADMIN_API_KEY ?? devAdminKey,
      cacheTtlMs: env.AUTH_CACHE_TTL_MS,
      maxKeysPerUser: env.MAX_KEYS_PER_USER,
      publishRevoked: (event) => revocations.publish(event),
    });
    const liveStreams = createLiveStreams();
    // Revoked or rotated keys (from any instance): drop them from the cache, close their sockets,
    // end their streams on every other transport.
    revocations.subscribe((event) => {
      access.forget(event);
      if (!event) return;
      sockets.closeFor(event);
      liveStreams.endFor(event);
    });
    await access.ensureBootstrapAdmin();
    if (env.ADMIN_API_KEY && env.ADMIN_API_KEY.length < 32) logger.warn('ADMIN_API_KEY is shorter than 32 characters: production refuses to start with it');
    const userSettings = createUserSettings({ prisma: db.prisma, ttlMs: env.AUTH_CACHE_TTL_MS });

    let simulator: Simulator | undefined;
    let upstreamConfig = upstreamConfigFromEnv(env);
    if (isOffline(env) && background) {
      simulator = await startSimulator({ gateways: gatewaySeed(env) });
      cleanup.push(() => simulator!.close());
      upstreamConfig = { ...upstreamConfig, baseUrl: simulator.baseUrl, accountId: 'offline', apiToken: 'offline-simulator' };
      logger.warn(`OFFLINE MODE: no CLOUDFLARE_API_TOKEN, so calls go to the built-in simulator at ${simulator.baseUrl} (replies are simulated)`);
    }
    // The pipeline retries (each retry an attempt with its own ledger row), so the client does not.
    const upstream = createUpstreamClient({ ...upstreamConfig, maxRetries: 0 });
    cleanup.push(() => upstream.close());

    const gateways = createGatewayRegistry({ prisma: db.prisma, defaultGatewayId: env.DEFAULT_GATEWAY_ID, seed: gatewaySeed(env) });
    await gateways.init();
    if (background) {
      const stopGatewayRefresh = gateways.startRefresh(60_000);
      cleanup.push(async () => stopGatewayRefresh());
    }
    const operators = createOperatorControls({ env, db, logger, cleanup, background, onKeysRevoked: (userId) => revocations.publish({ userId }) });
    const ledger = createLedger({
      db,
      logger,
      onWritten: (rows) => {
        metrics.recordCalls(rows);
        operators.noteSettled(rows);
      },
      onCommit: metrics.ledgerCommitted,
    });
    const prices = createPricingService({ prisma: db.prisma, priceFile: loadPriceFile(env.PRICE_FILE), routeFor: (m) => upstream.routeFor(m) });
    await prices.init();
    cleanup.push(async () => prices.close());
    const pricing: Pricing = options.pricing ?? prices.pricing;
    // teams: limits of every level (key, user, team), seeded from the ledger.
    const keySettings = createKeySettings({ prisma: db.prisma, ttlMs: env.AUTH_CACHE_TTL_MS });
    const teamSettings = createTeamSettings({ prisma: db.prisma, ttlMs: env.AUTH_CACHE_TTL_MS });
    const limitsOf = createLimitSubjects({
      userSettings,
      keySettings,
      teamSettings,
      defaults: { requestsPerMinute: env.DEFAULT_REQUESTS_PER_MINUTE, tokensPerDay: env.DEFAULT_TOKENS_PER_DAY, monthlyBudgetUsd: env.DEFAULT_MONTHLY_BUDGET_USD },
    });
    const limitStore = limitStoreFor(env, logger, cleanup, createLedgerBooks({ prisma: db.prisma }));
    const teams = createTeamService({ prisma: db.prisma, teamSettings, onMembershipChange: (userId) => access.forgetUser(userId) });
    const admission: Admission = options.admission ?? createLimitAdmission({
      limitsOf,
      store: limitStore,
      pricing,
      reservationTtlMs: env.LIMIT_RESERVATION_TTL_MS,
      onRefusal: (limit) => metrics.refusals.inc({ limit }),
      logger,
      unpricedModels: env.UNPRICED_MODELS,
    });
    const recovery = createRecovery({ prisma: db.prisma, executeAlone: db.executeAlone, pricing, logger, leaseMs: env.RECOVERY_LEASE_MS, exclusive: db.kind === 'pglite' });
    if (background) {
      await recovery.start();
      cleanup.push(() => recovery.stop());
    }
    const runner = createCallRunner({
      upstream,
      ledger,
      pricing,
      admission,
      ownerId: recovery.ownerId,
      onWriteAheadHold: metrics.writeAheadHeld,
      defaultMaxOutputTokens: env.DEFAULT_MAX_OUTPUT_TOKENS,
      // A route may serve another model than the one named: the key's allow-list is checked on it too.
      allowedModelsOf: async (principal) => (principal.keyId ? await keySettings.get(principal.keyId) : undefined)?.allowedModels ?? [],
      retry: { maxRetries: env.UPSTREAM_MAX_RETRIES, baseDelayMs: upstreamConfig.retryBaseDelayMs ?? 250, maxDelayMs: upstreamConfig.retryMaxDelayMs ?? 5_000 },
    });
    // A PENDING idempotency row is waited for as long as its call may take, then presumed abandoned.
    const idempotency = createIdempotency({ prisma: db.prisma, pendingLeaseMs: env.UPSTREAM_TIMEOUT_MS * (env.UPSTREAM_MAX_RETRIES + 1) + 60_000 });
    const contextWindow = { maxTokens: env.MAX_CONTEXT_TOKENS, maxBodyBytes: env.MAX_BODY_BYTES, perModel: env.MODEL_CONTEXT_TOKENS };
    const generation = createGenerationService({ runner, gateways, userSettings, maxMessageBytes: env.MAX_MESSAGE_BYTES, maxImageBytes: env.MAX_IMAGE_BYTES, idempotency, contextWindow });
    const usage = createUsageReports({ prisma: db.prisma });
    const reconciliation = createReconciliation({ env, upstreamConfig, db, logger, usage, metrics, cleanup, background });
    const modalities = createModalityService({ runner, generation, idempotency, maxAudioBytes: env.MAX_AUDIO_BYTES, fetchAudio: createAudioFetcher({ allowPrivate: env.NODE_ENV !== 'production' }) });
    const chat = createChatService({ store: createConversationStore(db.prisma), generation, runner, idempotency, contextWindow });
    const services: Services = {
      reconciliation,
      access,
      generation,
      modalities,
      chat,
      messagePages: createMessagePages(db.prisma),
      gateways: createGatewayService({ prisma: db.prisma, registry: gateways, userSettings, upstream }),
      pricing: prices,
      usage,
      userLimits: createUserLimitsAdmin({ prisma: db.prisma, userSettings }),
      ...createDashboardReads({ prisma: db.prisma, scopeOf: usage.scopeOf, runReport: usage.run }),
      teams,
      apiKeyLimits: createApiKeyLimits({ prisma: db.prisma, keySettings }),
      liveStreams,
      balance: createBalanceService({ remaining: createRemaining({ limitsOf, store: limitStore }), teamIdOf: teams.teamIdOf, logger }),
      auditLog: operators.auditLog,
      budgetAlerts: operators.budgetAlerts,
      budgetEvents: operators.budgetEvents,
      retention: operators.retention,
      users: createUserDirectory({ prisma: db.prisma }),
    };

    let closing: Promise<void> | undefined;
    return {
      env,
      db,
      services,
      upstream,
      ledger,
      recovery,
      ...(simulator && { simulator }),
      ...(devAdminKey && { devAdminKey }),
      logger,
      metrics,
      sockets,
      operators,
      close: () =>
        (closing ??= (async () => {
          // Finishes waiting for an unreachable database get the grace period; what is still
          // unwritten then stays PENDING and is recovered (INTERRUPTED) once our lease lapses.
          await ledger.drain(env.SHUTDOWN_GRACE_MS);
          ledger.close();
          for (const step of cleanup.reverse()) await step().catch((error) => logger.error('close failed', { cause: error }));
        })()),
    };
  } catch (error) {
    for (const step of cleanup.reverse()) await step().catch(() => {});
    throw error;
  }
}
