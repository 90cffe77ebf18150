// Several real Switchboard instances as separate processes sharing one PostgreSQL database,
// one Redis (a key prefix of their own) and one simulator started in the test process, which
// counts every call that reached the upstream.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { startSimulator, type Simulator } from '../../src/simulator/server.ts';
import { freshDatabase, quietPool, type FreshDatabase } from './database.ts';

const FIXTURE = fileURLToPath(new URL('../limits/fixtures/instance.ts', import.meta.url));
export const CLUSTER_ADMIN_KEY = 'cluster-admin-key-0123456789abcdef';

export interface Instance {
  url: string;
  stop(): Promise<void>;
  /** SIGKILL: the process dies at once, nothing drained (resolves once it exited). */
  kill(): Promise<void>;
}

export function spawnInstance(env: Record<string, string>, timeoutMs = 30_000): Promise<Instance> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', FIXTURE], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
  };
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`instance did not start within ${timeoutMs} ms: ${stderr}`));
    }, timeoutMs);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('{"url"'));
      if (line) {
        clearTimeout(timer);
        const kill = async () => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
          await exited;
        };
        resolve({ url: (JSON.parse(line) as { url: string }).url, stop, kill });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`instance exited (${code}) before listening: ${stderr}`));
    });
  });
}

export interface Cluster {
  instances: Instance[];
  sim: Simulator;
  db: FreshDatabase;
  redisKeyPrefix: string;
  /** A query on the shared database. */
  sql<R extends pg.QueryResultRow = Record<string, unknown>>(text: string, values?: unknown[]): Promise<R[]>;
  close(): Promise<void>;
}

/** `count` instances on one fresh PostgreSQL database (DATABASE_URL's server) and one Redis. */
export async function startCluster({ count = 2, redisUrl, env = {} }: { count?: number; redisUrl: string; env?: Record<string, string> }): Promise<Cluster> {
  const db = await freshDatabase();
  if (!db.databaseUrl) throw new Error('startCluster needs DATABASE_URL (PostgreSQL): the embedded database is single-process');
  const sim = await startSimulator();
  const redisKeyPrefix = `sbtest:${randomBytes(6).toString('hex')}:`;
  const instanceEnv: Record<string, string> = {
    NODE_ENV: 'test',
    PORT: '0',
    LOG_LEVEL: 'silent',
    DATABASE_URL: db.databaseUrl,
    REDIS_URL: redisUrl,
    REDIS_KEY_PREFIX: redisKeyPrefix,
    ADMIN_API_KEY: CLUSTER_ADMIN_KEY,
    CLOUDFLARE_API_TOKEN: 'cluster-sim-token',
    CLOUDFLARE_ACCOUNT_ID: 'cluster-account',
    CLOUDFLARE_API_BASE_URL: sim.baseUrl,
    UPSTREAM_MAX_RETRIES: '0',
    AUTH_CACHE_TTL_MS: '0',
    SHUTDOWN_GRACE_MS: '2000',
    ...env,
  };
  const instances: Instance[] = [];
  const pool = quietPool(db.databaseUrl!);
  const close = async () => {
    await Promise.all(instances.map((i) => i.stop()));
    await pool.end();
    await sim.close();
    await db.cleanup();
  };
  try {
    // The first one applies the migrations; the others then start side by side.
    instances.push(await spawnInstance(instanceEnv));
    instances.push(...(await Promise.all(Array.from({ length: count - 1 }, () => spawnInstance(instanceEnv)))));
  } catch (error) {
    await close();
    throw error;
  }
  return {
    instances,
    sim,
    db,
    redisKeyPrefix,
    sql: async (text, values) => (await pool.query(text, values)).rows,
    close,
  };
}
