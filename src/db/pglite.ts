// The embedded default: PGlite (PostgreSQL in Wasm), persisted under DATA_DIR. It runs in a
// worker thread (pglite-thread.ts), so its work does not block the server's event loop; the
// DATA_DIR lock is taken here, on the main thread, for the process.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { lockDataDir } from './pglite-lock.ts';
import { PGliteThread } from './pglite-thread.ts';
import type { SqlRow, SqlSession, WithSqlSession } from './sql-session.ts';

export const IN_MEMORY = 'memory://';
/** PGlite's files go in a subfolder of DATA_DIR, beside the lock file (PostgreSQL owns its folder). */
export const PGLITE_SUBDIR = 'pglite';

export interface OpenedPGlite {
  pglite: PGliteThread;
  /** Closes PGlite and releases the directory lock. */
  close(): Promise<void>;
}

export async function openPGlite(dataDir: string): Promise<OpenedPGlite> {
  if (dataDir.startsWith(IN_MEMORY)) {
    const pglite = await PGliteThread.start(dataDir);
    return { pglite, close: () => pglite.close() };
  }
  const dir = resolve(dataDir);
  mkdirSync(dir, { recursive: true });
  const unlock = lockDataDir(dir);
  try {
    const pglite = await PGliteThread.start(join(dir, PGLITE_SUBDIR));
    return {
      pglite,
      async close() {
        try {
          if (!pglite.closed) await pglite.close();
        } finally {
          unlock();
        }
      },
    };
  } catch (e) {
    unlock();
    throw e;
  }
}

export function pgliteSessions(pglite: PGliteThread): WithSqlSession {
  // PGlite is one connection: every session is that connection.
  const session: SqlSession = {
    async query<Row extends SqlRow = SqlRow>(sql: string, params: readonly unknown[] = []) {
      const result = await pglite.query<Row>(sql, [...params]);
      return result.rows;
    },
    async exec(sql: string) {
      await pglite.exec(sql);
    },
  };
  return (fn) => fn(session);
}
