// The Redis client (ioredis), built once by the composition root when REDIS_URL is set.
// Fail fast rather than queue: no offline queue, short connect and command timeouts, so a call
// never hangs on an unreachable Redis. It keeps reconnecting in the background; 'error' events
// are logged (at most one line per 10 s), never left unhandled.
import { Redis } from 'ioredis';
import type { Logger } from './logger.ts';

export interface RedisOptions {
  url: string;
  logger: Logger;
  /** Connect and per-command timeout (ms). */
  timeoutMs?: number;
}

export function createRedisClient({ url, logger, timeoutMs = 1_000 }: RedisOptions): Redis {
  const redis = new Redis(url, {
    enableOfflineQueue: false,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableReadyCheck: true,
    retryStrategy: (times) => Math.min(100 * times, 2_000),
    lazyConnect: false,
  });
  let lastLogged = 0;
  redis.on('error', (error: Error) => {
    const now = Date.now();
    if (now - lastLogged < 10_000) return;
    lastLogged = now;
    logger.error('redis unavailable', { cause: error });
  });
  return redis;
}

/** Closes the client without waiting on a Redis that may be down. */
export async function closeRedisClient(redis: Redis): Promise<void> {
  if (redis.status === 'ready') {
    await Promise.race([redis.quit().catch(() => undefined), new Promise((r) => setTimeout(r, 500).unref())]);
  }
  redis.disconnect();
}

/**
 * Resolves once the client is connected: at once when it is, else at its next 'ready' within
 * `timeoutMs` (start-up, a reconnect in progress); rejects past that, so nothing waits long.
 */
export function whenReady(redis: Redis, timeoutMs: number): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  if (redis.status === 'end') return Promise.reject(new Error('the Redis client is closed'));
  return new Promise((resolve, reject) => {
    const onReady = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      redis.off('ready', onReady);
      reject(new Error(`Redis is not connected (status ${redis.status}) after ${timeoutMs} ms`));
    }, timeoutMs);
    redis.once('ready', onReady);
  });
}
