// PostgreSQL through node-postgres: one pool shared by Prisma's adapter and our raw sessions.
import pg from 'pg';
import type { SqlRow, SqlSession, WithSqlSession } from './sql-session.ts';

export const POOL_SIZE = 10;
/** A down or unreachable server fails a checkout after this long instead of hanging. */
export const CONNECT_TIMEOUT_MS = 2_000;

export function createPostgresPool(databaseUrl: string, log: (msg: string) => void): pg.Pool {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: POOL_SIZE,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    idleTimeoutMillis: 30_000,
    // Detect a server that vanished without closing the socket.
    keepAlive: true,
  });
  // An idle client losing its connection (server restart, DROP DATABASE ... WITH (FORCE)) is
  // emitted on the pool; without a listener it would crash the process.
  pool.on('error', (err) => log(`database: idle connection error: ${err.message}`));
  return pool;
}

function sessionOf(client: pg.PoolClient): SqlSession {
  return {
    async query<Row extends SqlRow = SqlRow>(sql: string, params: readonly unknown[] = []) {
      const result = await client.query<Row>(sql, [...params]);
      return result.rows;
    },
    async exec(sql: string) {
      await client.query(sql);
    },
  };
}

export function postgresSessions(pool: pg.Pool): WithSqlSession {
  return async (fn) => {
    const client = await pool.connect();
    let failed = false;
    try {
      return await fn(sessionOf(client));
    } catch (e) {
      failed = true;
      throw e;
    } finally {
      // A connection that saw an error may be mid-transaction or broken: do not reuse it.
      client.release(failed);
    }
  };
}
