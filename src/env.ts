// The environment, parsed once at boot. The only reader of process.env: everything else gets
// the typed Env. A wrong value fails start-up with a message naming the variable.
import { z } from 'zod';

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
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
  // clients (issue 16): OpenTelemetry traces, exported over OTLP/HTTP when the endpoint is set
  OTEL_EXPORTER_OTLP_ENDPOINT: optionalString.pipe(z.url({ message: 'must be a URL, e.g. http://127.0.0.1:4318' }).optional()),
  OTEL_SERVICE_NAME: optionalString,
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
  return env;
}

/** Offline mode: no Cloudflare token outside production -> the built-in simulator. */
export const isOffline = (env: Env): boolean => !env.CLOUDFLARE_API_TOKEN && env.NODE_ENV !== 'production';
