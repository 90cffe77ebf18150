// An isolated database per test file: a brand-new PostgreSQL database on DATABASE_URL's server
// when DATABASE_URL is set, else a fresh temp dir for PGlite. cleanup() drops / removes it.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/**
 * A small pool for a test's own reads. pg-pool's end() resolves before its connections have
 * closed, so cleanup()'s DROP DATABASE ... WITH (FORCE) can still terminate one: that error is
 * emitted on the pool, and a pool without an 'error' listener would throw it (uncaught).
 */
export function quietPool(databaseUrl: string): pg.Pool {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  pool.on('error', () => {});
  return pool;
}

export interface FreshDatabase {
  databaseUrl?: string;
  dataDir: string;
  cleanup(): Promise<void>;
}

async function onServer<T>(serverUrl: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: serverUrl, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export async function freshDatabase(): Promise<FreshDatabase> {
  const dataDir = await mkdtemp(join(tmpdir(), 'sb-db-'));
  const removeDir = () => rm(dataDir, { recursive: true, force: true });
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) return { dataDir, cleanup: removeDir };

  const name = `sb_t_${randomBytes(6).toString('hex')}`;
  await onServer(serverUrl, (c) => c.query(`CREATE DATABASE "${name}"`));
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    databaseUrl: url.toString(),
    dataDir,
    async cleanup() {
      await onServer(serverUrl, (c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
      await removeDir();
    },
  };
}
