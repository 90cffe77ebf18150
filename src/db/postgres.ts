// PostgreSQL through node-postgres: one pool shared by Prisma's adapter and our raw sessions.
import pg from 'pg';
import { dbErrorKind } from './errors.ts';
import type { SqlRow, SqlSession, WithSqlSession } from './sql-session.ts';

export const POOL_SIZE = 10;
/**
 * A down or unreachable server fails a checkout after this long instead of hanging; so does a
 * wait for a free pooled connection (pg-pool applies it to queued checkouts too).
 */
export const CONNECT_TIMEOUT_MS = 2_000;
/**
 * A statement whose answer does not come within this long fails (client side), and its
 * connection is dropped: a stalled connection never holds a caller indefinitely. Generous for
 * the pool (reports scan), short for the ledger's and the lease's own connections.
 */
export const POOL_QUERY_TIMEOUT_MS = 30_000;
export const DEDICATED_QUERY_TIMEOUT_MS = 3_000;

export function createPostgresPool(databaseUrl: string, log: (msg: string) => void): pg.Pool {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: POOL_SIZE,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    query_timeout: POOL_QUERY_TIMEOUT_MS,
    idleTimeoutMillis: 30_000,
    // Detect a server that vanished without closing the socket.
    keepAlive: true,
  });
  // An idle client losing its connection (server restart, DROP DATABASE ... WITH (FORCE)) is
  // emitted on the pool; without a listener it would crash the process.
  pool.on('error', (err) => log(`database: idle connection error: ${err.message}`));
  retryDroppedConnections(pool);
  return pool;
}

/** Waits, timeouts and a pool that was ended are not retried: the caller gets them (UNAVAILABLE) at once. */
const NOT_RETRIED = /timeout|after calling end/i;
/** A plain read: retried on another connection when its own was lost (nothing was changed). */
function isPlainRead(sql: string): boolean {
  const text = sql.trimStart();
  if (/\bFOR\s+(?:UPDATE|SHARE|NO\s+KEY\s+UPDATE|KEY\s+SHARE)\b/i.test(text)) return false;
  if (/^SELECT\b/i.test(text)) return true;
  return /^WITH\b/i.test(text) && !/\b(?:INSERT|UPDATE|DELETE|MERGE)\b/i.test(text);
}

/**
 * The pool's one-off queries (Prisma's reads and writes outside a transaction) survive a dropped
 * connection: once more on another connection (after RETRY_DELAY_MS) when the connection could
 * not be opened (nothing was sent) or, for a plain read, when it was lost mid-query. A write whose
 * connection was lost is not repeated (it may have committed): its caller gets UNAVAILABLE.
 */
const RETRY_DELAY_MS = 50;
function retryDroppedConnections(pool: pg.Pool): void {
  const original = pool.query.bind(pool) as (config: unknown, values?: unknown) => Promise<pg.QueryResult>;
  const textOf = (config: unknown): string => (typeof config === 'string' ? config : typeof (config as { text?: unknown })?.text === 'string' ? (config as { text: string }).text : '');
  const retryable = (error: unknown) => dbErrorKind(error) === 'connection' && !(error instanceof Error && NOT_RETRIED.test(error.message));
  async function query(config: unknown, values?: unknown): Promise<pg.QueryResult> {
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (error) {
      if (!retryable(error)) throw error;
      await new Promise((r) => setTimeout(r, RETRY_DELAY_MS));
      return original(config, values);
    }
    // A checked-out client has no error listener (pg-pool removes its idle one): a connection
    // lost mid-query is also emitted as 'error', which unheard would end the process. pg's own
    // Pool.query listens the same way; the query itself rejects with the error.
    let lost: unknown;
    const onError = (error: unknown) => void (lost = error);
    client.on('error', onError);
    try {
      const result = await client.query(config as pg.QueryConfig, values as unknown[] | undefined);
      client.removeListener('error', onError);
      client.release(lost instanceof Error ? lost : undefined);
      return result;
    } catch (error) {
      client.removeListener('error', onError);
      // As pg's own Pool.query: a connection that saw an error is not reused.
      client.release(error instanceof Error ? error : true);
      if (!retryable(error) || !isPlainRead(textOf(config))) throw error;
      return original(config, values);
    }
  }
  // Prisma's adapter calls query(config, values) and awaits it; callback-style calls keep pg's own.
  pool.query = ((config: unknown, values?: unknown, callback?: unknown) =>
    typeof values === 'function' || typeof callback === 'function' ? (original as (...a: unknown[]) => unknown)(config, values, callback) : query(config, values)) as typeof pool.query;
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

/** Its application_name, as pg_stat_activity shows it. */
export const LEDGER_CONNECTION_NAME = 'switchboard-ledger';
/** The ledger's second connection, for statements whose commit does not wait for its WAL flush. */
export const LEDGER_DEFERRED_CONNECTION_NAME = 'switchboard-ledger-deferred';
/** The instance lease's own connection (recovery.ts): renewal never queues behind calls. */
export const LEASE_CONNECTION_NAME = 'switchboard-lease';

/**
 * One connection of its own for `Database.execute` (the ledger's group commits): the group commit
 * has at most one statement in flight, and a held, idle connection sends it synchronously, in
 * the caller's tick, where a pool checkout would send it a tick later (after the upstream request
 * was built and sent). So the write-ahead insert leaves first, and its commit overlaps more of the
 * upstream request. Named (prepared) statements: parsed and planned once per connection.
 * A connection that fails or ends is dropped; the next statement opens a new one.
 */
export function createDedicatedExecutor(databaseUrl: string, log: (msg: string) => void, applicationName = LEDGER_CONNECTION_NAME, options: { deferredCommit?: boolean } = {}) {
  let client: pg.Client | undefined;
  let connecting: Promise<pg.Client> | undefined;
  let closed = false;
  const names = new Map<string, string>();

  async function connect(): Promise<pg.Client> {
    const c = new pg.Client({
      connectionString: databaseUrl,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      query_timeout: DEDICATED_QUERY_TIMEOUT_MS,
      keepAlive: true,
      application_name: applicationName,
      // Each commit on this connection returns without waiting for its WAL flush (the server
      // flushes within 3 × wal_writer_delay): lost only if PostgreSQL itself crashes before.
      ...(options.deferredCommit && { options: '-c synchronous_commit=off' }),
    });
    const drop = () => {
      if (client === c) client = undefined;
    };
    c.on('error', (err) => {
      log(`database: ${applicationName} connection error: ${err.message}`);
      drop();
    });
    c.on('end', drop);
    try {
      await c.connect();
    } catch (e) {
      c.end().catch(() => undefined);
      throw e;
    }
    if (closed) {
      await c.end();
      throw new Error('The database is closed');
    }
    client = c;
    return c;
  }

  return {
    execute(sql: string, params: readonly unknown[]): Promise<void> {
      let name = names.get(sql);
      if (name === undefined) names.set(sql, (name = `sb_execute_${names.size + 1}`));
      const query = { name, text: sql, values: [...params] };
      const send = (c: pg.Client) =>
        c.query(query).then(
          () => undefined,
          (error: unknown) => {
            // A broken connection is not reused (a statement's own error leaves it usable).
            if (!(error instanceof pg.DatabaseError) || dbErrorKind(error) === 'connection') {
              if (client === c) client = undefined;
              c.end().catch(() => undefined);
            }
            throw error;
          },
        );
      if (client) return send(client);
      if (closed) return Promise.reject(new Error('The database is closed'));
      connecting ??= connect().finally(() => (connecting = undefined));
      return connecting.then(send);
    },
    async close(): Promise<void> {
      closed = true;
      const c = client ?? (await connecting?.catch(() => undefined));
      client = undefined;
      await c?.end().catch(() => undefined);
    },
  };
}
