// The upstream client's config from the parsed environment: the one place that maps Env to
// UpstreamConfig, so src/upstream/ never sees Env.
import type { Env } from '../platform/env.ts';
import type { UpstreamConfig } from './client.ts';
import { parseModelRoutes } from './routing.ts';

/** The client's config from the parsed environment. A bad MODEL_ROUTES throws an Error naming it. */
export function upstreamConfigFromEnv(env: Env, overrides: Partial<UpstreamConfig> = {}): UpstreamConfig {
  return {
    baseUrl: env.CLOUDFLARE_API_BASE_URL,
    accountId: env.CLOUDFLARE_ACCOUNT_ID ?? '',
    apiToken: env.CLOUDFLARE_API_TOKEN ?? '',
    timeoutMs: env.UPSTREAM_TIMEOUT_MS,
    connectTimeoutMs: env.UPSTREAM_CONNECT_TIMEOUT_MS,
    maxRetries: env.UPSTREAM_MAX_RETRIES,
    maxConnections: env.UPSTREAM_MAX_CONNECTIONS,
    routes: parseModelRoutes(env.MODEL_ROUTES),
    ...overrides,
  };
}

