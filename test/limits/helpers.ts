// Helpers for the limits and idempotency tests: an in-process app with overrides (pricing), and
// a plain-HTTP tRPC caller (one request per call, no batching) that returns data or the error.
import { randomBytes } from 'node:crypto';
import type { AppOverrides } from '../../src/app.ts';
import type { Pricing } from '../../src/domain/pricing/pricing.ts';
import { ADMIN_KEY, startTestServer, type TestServer } from '../helpers/server.ts';

export { ADMIN_KEY };
export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A Redis key prefix of its own per test run, so parallel runs never share counters. */
export const uniquePrefix = (): string => `sbtest:${randomBytes(6).toString('hex')}:`;

export type TrpcResult<T = Record<string, unknown>> =
  | { ok: true; data: T }
  | { ok: false; status: number; error: { message: string; data: Record<string, unknown> & { appCode: string } } };

export async function postTrpc<T = Record<string, unknown>>(url: string, key: string, path: string, input: unknown, headers: Record<string, string> = {}): Promise<TrpcResult<T>> {
  const res = await fetch(`${url}/trpc/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, ...headers },
    body: JSON.stringify(input),
  });
  const body = (await res.json()) as { result?: { data: T }; error?: { message: string; data: Record<string, unknown> & { appCode: string } } };
  if (body.error) return { ok: false, status: res.status, error: body.error };
  return { ok: true, data: body.result!.data };
}

export type LimitServer = TestServer;

/** The real server with limits read fresh on every call (no settings cache). */
export const startLimitServer = (env: Record<string, string | undefined> = {}, overrides: AppOverrides = {}): Promise<LimitServer> =>
  startTestServer({ AUTH_CACHE_TTL_MS: '0', ...env }, overrides);

/** Creates a user and a key through the admin API. */
export async function userWithKey(url: string, email: string): Promise<{ userId: string; key: string }> {
  const user = await postTrpc<{ id: string }>(url, ADMIN_KEY, 'admin.createUser', { email, role: 'USER' });
  if (!user.ok) throw new Error(`createUser: ${JSON.stringify(user.error)}`);
  const created = await postTrpc<{ secret: string }>(url, ADMIN_KEY, 'admin.createApiKey', { userId: user.data.id, name: 'test' });
  if (!created.ok) throw new Error(`createApiKey: ${JSON.stringify(created.error)}`);
  return { userId: user.data.id, key: created.data.secret };
}

/** A flat test price: `microUsdPerToken` millionths of a USD per input or output token, exact. */
export function flatPricing(microUsdPerToken: number): Pricing {
  return {
    costOf: (_model, usage) => {
      const micro = BigInt((usage.inputTokens + usage.cachedInputTokens + usage.cacheWriteTokens + usage.outputTokens) * microUsdPerToken);
      return { costUsd: `${micro / 1_000_000n}.${(micro % 1_000_000n).toString().padStart(6, '0')}`, priceVersionId: null };
    },
  };
}

/** The value of one sample of a Prometheus counter in /metrics text. */
export async function metricValue(url: string, name: string, labels: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

/** Removes every Redis key under a test prefix. */
export async function deleteRedisKeys(prefix: string): Promise<void> {
  const { Redis } = await import('ioredis');
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
