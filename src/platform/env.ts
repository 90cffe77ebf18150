// The environment, parsed once at boot. The only reader of process.env: everything else gets
// the typed Env. A wrong value fails start-up with a message naming the variable.
import { z } from 'zod';
import { DEFAULT_HEAP_GROWTH_PERCENT } from './heap-growth.ts';

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);
const optionalPositiveInt = z.preprocess(
  (v) => (v === undefined || v === '' ? undefined : v),
  z.coerce.number().int().positive().optional(),
);
const decimalString = z
  .string()
  .regex(/^\d+(\.\d+)?$/, 'must be a non-negative decimal, e.g. 25.00')
  .optional()
  .or(z.literal('').transform(() => undefined));

const url = (protocols: readonly string[]) =>
  z
    .string()
    .trim()
    .refine((v) => {
      try {
        return protocols.includes(new URL(v).protocol);
      } catch {
        return false;
      }
    }, `must be a URL (${protocols.join(' or ')})`);

const envSchema = z.object({
  /** Any value; `production` requires Cloudflare credentials and never starts the simulator. */
  NODE_ENV: z.string().trim().min(1).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  HOST: z.string().trim().min(1).default('127.0.0.1'),
  CLOUDFLARE_ACCOUNT_ID: optionalString,
  CLOUDFLARE_API_TOKEN: optionalString,
  CLOUDFLARE_API_BASE_URL: url(['http:', 'https:']).default('https://api.cloudflare.com/client/v4'),
  DATABASE_URL: z.preprocess((v) => (v === '' ? undefined : v), url(['postgres:', 'postgresql:']).optional()),
  DATA_DIR: z.string().trim().min(1).default('./.data'),
  REDIS_URL: z.preprocess((v) => (v === '' ? undefined : v), url(['redis:', 'rediss:']).optional()),
  /** Prefix of every Redis key (several deployments or test runs can share one Redis). */
  REDIS_KEY_PREFIX: z.string().trim().max(100).default('switchboard:'),
  /** Connect and command timeout for Redis: past it a limited call is refused, not held. */
  REDIS_TIMEOUT_MS: positiveInt(1_000),
  /** A limit reservation left by a crashed instance lapses after this long. */
  LIMIT_RESERVATION_TTL_MS: positiveInt(600_000),
  /** `refuse`: a call to a model without a price is FORBIDDEN when a USD limit applies to it; `allow`: it passes (cost null). */
  UNPRICED_MODELS: z.preprocess((v) => (v === undefined || v === '' ? 'refuse' : v), z.enum(['refuse', 'allow'])),
  /** The output cap sent upstream (and reserved) when neither the call nor the model catalogue gives one. */
  DEFAULT_MAX_OUTPUT_TOKENS: positiveInt(8_192),
  ADMIN_API_KEY: optionalString,
  DEFAULT_GATEWAY_ID: z.string().trim().min(1).max(64).default('default'),
  /** Gateways seeded into the registry at start, comma separated; the default gateway is always one. */
  GATEWAYS: z.string().default(''),
  /** Overrides of the model -> upstream API routing table, JSON: {"prefix/": "RESPONSES", ...}. */
  MODEL_ROUTES: z.string().default(''),
  /** The seed price list (JSON, see prisma/prices/); default: the committed one. */
  PRICE_FILE: optionalString,
  MAX_MESSAGE_BYTES: positiveInt(100_000),
  MAX_BODY_BYTES: positiveInt(1_048_576),
  UPSTREAM_TIMEOUT_MS: positiveInt(120_000),
  UPSTREAM_CONNECT_TIMEOUT_MS: positiveInt(10_000),
  UPSTREAM_MAX_RETRIES: z.coerce.number().int().min(0).max(5).default(2),
  UPSTREAM_MAX_CONNECTIONS: positiveInt(128),
  DEFAULT_REQUESTS_PER_MINUTE: optionalPositiveInt,
  DEFAULT_TOKENS_PER_DAY: optionalPositiveInt,
  DEFAULT_MONTHLY_BUDGET_USD: decimalString,
  AUTH_CACHE_TTL_MS: z.coerce.number().int().min(0).default(30_000),
  SHUTDOWN_GRACE_MS: positiveInt(10_000),
  /** V8's old-generation growth past the last full collection's survivors (heap-growth.ts); 0: V8's own heuristic. */
  HEAP_GROWTH_PERCENT: z.coerce.number().int().min(0).max(1_000).default(DEFAULT_HEAP_GROWTH_PERCENT),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
  // Beyond plain text (tools): the largest inline image input, decoded bytes.
  MAX_IMAGE_BYTES: positiveInt(524_288),
  // Every modality of the universal endpoint: the largest audio input (transcribe), decoded bytes.
  MAX_AUDIO_BYTES: positiveInt(10_485_760),
  // ledger: recovery of calls whose instance died.
  /** A PENDING row whose owner stopped renewing its lease for this long becomes INTERRUPTED. */
  RECOVERY_LEASE_MS: z.coerce.number().int().min(300).default(30_000),
  // Reconciliation with Cloudflare's logs:
  /** Periodic reconciliation of every gateway; 0 = off. */
  RECONCILE_INTERVAL_MS: z.coerce.number().int().min(0).default(0),
  /** Rows younger than this are not checked yet (logs appear late). */
  RECONCILE_LAG_MS: z.coerce.number().int().min(0).default(120_000),
  /** Where reconciliation reads Cloudflare's record: the logs API, the gateway's OpenTelemetry export, or both. */
  RECONCILE_SOURCE: z.preprocess((v) => (v === '' ? undefined : v), z.enum(['logs', 'otlp', 'both']).default('logs')),
  /** Bearer token the gateway's OpenTelemetry export sends to /otlp/v1/traces (required for otlp and both). */
  RECONCILE_OTLP_TOKEN: z.preprocess((v) => (v === '' ? undefined : v), z.string().max(512).optional()),
  /** The largest OTLP export body /otlp/v1/traces accepts (decoded). */
  RECONCILE_OTLP_MAX_BODY_BYTES: z.coerce.number().int().min(1_024).max(64 * 1024 * 1024).default(4 * 1024 * 1024),
  /** OTLP export requests accepted per second (a burst of as many); more answer 429 with Retry-After. */
  RECONCILE_OTLP_MAX_REQUESTS_PER_SECOND: z.coerce.number().int().min(1).max(10_000).default(50),

  // --- hardening: abuse limits, keys, bounded conversations, production posture ---
  /** Bearer token for /metrics; required when NODE_ENV=production. */
  METRICS_TOKEN: optionalString,
  /** Comma-separated origins allowed cross-origin; none: no cross-origin access. */
  CORS_ORIGINS: z.string().default(''),
  /** GraphiQL (and, in production, introspection): default on outside production, off in it. */
  GRAPHIQL: z.preprocess((v) => (v === undefined || v === '' ? undefined : v), z.enum(['true', 'false']).optional()),
  /** The most input tokens one call sends (estimated at no less than characters / 4). */
  MAX_CONTEXT_TOKENS: positiveInt(100_000),
  /** Per-model caps that may only lower MAX_CONTEXT_TOKENS, JSON: {"model-or-prefix": tokens}. */
  MODEL_CONTEXT_TOKENS: z
    .string()
    .default('')
    .transform((v, ctx) => {
      if (v.trim() === '') return {};
      try {
        return z.record(z.string().min(1), z.number().int().positive()).parse(JSON.parse(v));
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be JSON like {"openai/": 120000}' });
        return z.NEVER;
      }
    }),
  MAX_KEYS_PER_USER: positiveInt(20),
  TRPC_MAX_BATCH: positiveInt(10),
  LOG_PROMPTS: z.preprocess((v) => (v === undefined || v === '' ? 'false' : v), z.enum(['true', 'false'])).transform((v) => v === 'true'),
  WS_AUTH_TIMEOUT_MS: positiveInt(10_000),
  /** Accept an API key in a query string (tRPC `connectionParams`): default true, false in production. */
  ALLOW_KEYS_IN_URL: z.preprocess((v) => (v === undefined || v === '' ? undefined : v), z.enum(['true', 'false']).optional()),
  /** Open WebSockets per API key, and subscriptions per key across its sockets. */
  WS_MAX_SOCKETS_PER_KEY: positiveInt(20),
  WS_MAX_SUBSCRIPTIONS_PER_KEY: positiveInt(50),
  /** GraphQL operation limits, checked before execution (GraphQL Armor). */
  GRAPHQL_MAX_DEPTH: positiveInt(20),
  GRAPHQL_MAX_ALIASES: positiveInt(30),
  GRAPHQL_MAX_TOKENS: positiveInt(2_000),
  GRAPHQL_MAX_COST: positiveInt(5_000),
  // clients: OpenTelemetry traces, exported over OTLP/HTTP when the endpoint is set
  OTEL_EXPORTER_OTLP_ENDPOINT: optionalString.pipe(z.url({ message: 'must be a URL, e.g. http://127.0.0.1:4318' }).optional()),
  OTEL_SERVICE_NAME: optionalString,
  // operators' controls: budget alert webhooks and retention
  /** HMAC-SHA256 key of the x-switchboard-signature header; required for an alert with a webhook. */
  BUDGET_WEBHOOK_SECRET: optionalString,
  /** Comma-separated host names or host:port budget webhooks may be sent to; none: no webhooks. */
  WEBHOOK_ALLOWED_HOSTS: z.string().default(''),
  /** The first redelivery delay of a webhook that did not answer 2xx; doubles per attempt up to WEBHOOK_RETRY_MAX_MS. */
  WEBHOOK_RETRY_BASE_MS: positiveInt(5_000),
  WEBHOOK_RETRY_MAX_MS: positiveInt(3_600_000),
  /** Erase stored content (messages, system prompts, tool content, images) older than this many days; none: keep. */
  RETENTION_DAYS: optionalPositiveInt,
});

export type Env = z.infer<typeof envSchema>;

export class EnvError extends Error {
  override readonly name = 'EnvError';
}

/** Parses the environment; throws EnvError naming every wrong variable. */
export function loadEnv(source: Record<string, string | undefined> = process.env): Env {
  const parsed = envSchema.safeParse(source);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new EnvError(`Invalid environment: ${problems.join('; ')}`);
  }
  const env = parsed.data;
  if (env.CLOUDFLARE_API_TOKEN && !env.CLOUDFLARE_ACCOUNT_ID) {
    throw new EnvError('Invalid environment: CLOUDFLARE_ACCOUNT_ID is required with CLOUDFLARE_API_TOKEN (paths are {base}/accounts/{account}/ai/...)');
  }
  if (env.NODE_ENV === 'production' && (!env.CLOUDFLARE_API_TOKEN || !env.CLOUDFLARE_ACCOUNT_ID)) {
    throw new EnvError(
      'Invalid environment: CLOUDFLARE_API_TOKEN and CLOUDFLARE_ACCOUNT_ID are required when NODE_ENV=production',
    );
  }
  if (env.NODE_ENV === 'production' && env.ADMIN_API_KEY && env.ADMIN_API_KEY.length < 32) {
    throw new EnvError('Invalid environment: ADMIN_API_KEY must be at least 32 characters when NODE_ENV=production (use a long random value)');
  }
  if (env.NODE_ENV === 'production' && env.RECONCILE_OTLP_TOKEN && env.RECONCILE_OTLP_TOKEN.length < 16) {
    throw new EnvError('Invalid environment: RECONCILE_OTLP_TOKEN must be at least 16 characters when NODE_ENV=production (use a long random value)');
  }
  if (env.RECONCILE_SOURCE !== 'logs' && !env.RECONCILE_OTLP_TOKEN) {
    throw new EnvError(`Invalid environment: RECONCILE_OTLP_TOKEN is required with RECONCILE_SOURCE=${env.RECONCILE_SOURCE} (it authenticates the gateway's OpenTelemetry export)`);
  }
  if (env.NODE_ENV === 'production' && !env.METRICS_TOKEN) {
    throw new EnvError('Invalid environment: METRICS_TOKEN is required when NODE_ENV=production (it protects /metrics)');
  }
  return env;
}

/** GraphiQL on? GRAPHIQL when set, else on outside production. */
export const graphiqlEnabled = (env: Env): boolean => (env.GRAPHIQL ? env.GRAPHIQL === 'true' : env.NODE_ENV !== 'production');

/** A key in a query string accepted? ALLOW_KEYS_IN_URL when set, else only outside production. */
export const keysInUrlAllowed = (env: Env): boolean => (env.ALLOW_KEYS_IN_URL ? env.ALLOW_KEYS_IN_URL === 'true' : env.NODE_ENV !== 'production');

/** The CORS allow-list, parsed. */
export const corsOrigins = (env: Env): string[] => env.CORS_ORIGINS.split(',').map((o) => o.trim().replace(/\/$/, '')).filter(Boolean);

/** Offline mode: no Cloudflare token outside production -> the built-in simulator. */
export const isOffline = (env: Env): boolean => !env.CLOUDFLARE_API_TOKEN && env.NODE_ENV !== 'production';
