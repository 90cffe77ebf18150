// The database factory: PostgreSQL when a URL is given, else the embedded PGlite under dataDir.
// Migrations are applied before the Database is returned.
//
// PGlite differences that callers must respect (both are tested or were checked by hand):
// - It is one connection: every query is serialized, and while an interactive
//   `prisma.$transaction(async (tx) => ...)` runs, all other queries wait for it. So inside such a
//   transaction use only `tx`: awaiting a query on `prisma` itself deadlocks until the
//   transaction's timeout (on PostgreSQL it would merely run outside the transaction).
// - Isolation levels are ignored (everything is serial anyway); serialization failures only
//   happen on PostgreSQL.
// - Constraint errors from the ORM surface as a bare DriverAdapterError carrying the SQLSTATE,
//   not as PrismaClientKnownRequestError P2002/P2003: classify errors with dbErrorKind().
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { PrismaClient } from './generated/client.ts';
import { applyMigrations } from './migrate.ts';
import { openPGlite, pgliteSessions } from './pglite.ts';
import { createDedicatedExecutor, createPostgresPool, LEASE_CONNECTION_NAME, LEDGER_DEFERRED_CONNECTION_NAME, postgresSessions } from './postgres.ts';
import type { WithSqlSession } from './sql-session.ts';

export type { PrismaClient };

export const PING_TIMEOUT_MS = 2_000;

export interface Database {
  prisma: PrismaClient;
  kind: 'postgres' | 'pglite';
  /** Resolves when the database answers a query; throws if it fails or takes over ~2 s. */
  ping(): Promise<void>;
  /**
   * One parameterized write straight through the driver (on PostgreSQL a connection of its own,
   * see createDedicatedExecutor; on PGlite its one connection), without Prisma's query engine:
   * for the ledger's group commits on the hot path. On PGlite it waits for any transaction in
   * progress, like every other query. Decimals go as strings (see raw-insert.ts).
   */
  execute(sql: string, params: readonly unknown[]): Promise<void>;
  /**
   * As execute, but the commit does not wait for its WAL flush (on PostgreSQL a second connection
   * of its own, with synchronous_commit off): visible to every reader and safe from a crash of
   * this process once it resolves, lost only if the database server crashes within a fraction of
   * a second after. The ledger's finishes: their PENDING row is already durable, and recovery
   * marks a row whose finish was lost INTERRUPTED. On PGlite the same as execute.
   */
  executeDeferred(sql: string, params: readonly unknown[]): Promise<void>;
  /**
   * One statement on a connection that serves nothing else (on PostgreSQL; PGlite's one
   * connection otherwise): the instance lease's renewal, which must never wait behind calls for
   * a pooled connection. Bounded like every dedicated statement (DEDICATED_QUERY_TIMEOUT_MS).
   */
  executeAlone(sql: string, params: readonly unknown[]): Promise<void>;
  /** Disconnects Prisma and closes the pool or PGlite (and its directory lock). Idempotent. */
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** A PostgreSQL URL; without it the embedded PGlite is used. */
  databaseUrl?: string;
  /** Where PGlite keeps its data (created if missing); 'memory://' keeps it in memory. */
  dataDir: string;
  log?: (msg: string) => void;
  /** Migrations folder; defaults to the repository's prisma/migrations. */
  migrationsDir?: string;
}

async function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

interface Driver {
  kind: Database['kind'];
  prisma: PrismaClient;
  sessions: WithSqlSession;
  execute(sql: string, params: readonly unknown[]): Promise<void>;
  executeDeferred(sql: string, params: readonly unknown[]): Promise<void>;
  executeAlone(sql: string, params: readonly unknown[]): Promise<void>;
  closeDriver(): Promise<void>;
}

async function openDriver(options: OpenDatabaseOptions, log: (msg: string) => void): Promise<Driver> {
  if (options.databaseUrl) {
    const pool = createPostgresPool(options.databaseUrl, log);
    const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
    const writer = createDedicatedExecutor(options.databaseUrl, log);
    const deferred = createDedicatedExecutor(options.databaseUrl, log, LEDGER_DEFERRED_CONNECTION_NAME, { deferredCommit: true });
    const lease = createDedicatedExecutor(options.databaseUrl, log, LEASE_CONNECTION_NAME);
    return {
      kind: 'postgres',
      prisma,
      sessions: postgresSessions(pool),
      execute: writer.execute,
      executeDeferred: deferred.execute,
      executeAlone: lease.execute,
      closeDriver: () => Promise.all([writer.close(), deferred.close(), lease.close(), pool.end()]).then(() => undefined),
    };
  }
  const opened = await openPGlite(options.dataDir);
  const prisma = new PrismaClient({ adapter: new PrismaPGlite(opened.pglite.asPGlite()) });
  const execute = (sql: string, params: readonly unknown[]) => opened.pglite.run(sql, params);
  return { kind: 'pglite', prisma, sessions: pgliteSessions(opened.pglite), execute, executeDeferred: execute, executeAlone: execute, closeDriver: opened.close };
}

export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  const log = options.log ?? (() => undefined);
  const driver = await openDriver(options, log);
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    // The adapters do not close what they were given: end the pool / PGlite ourselves, or an
    // open PGlite keeps the process alive.
    closing ??= driver.prisma.$disconnect().finally(() => driver.closeDriver());
    return closing;
  };
  try {
    await applyMigrations(driver.sessions, { migrationsDir: options.migrationsDir, log });
  } catch (e) {
    await close().catch(() => undefined);
    throw e;
  }
  return {
    prisma: driver.prisma,
    kind: driver.kind,
    async ping() {
      await withTimeout(driver.prisma.$queryRawUnsafe('SELECT 1'), PING_TIMEOUT_MS, 'The database');
    },
    execute: driver.execute,
    executeDeferred: driver.executeDeferred,
    executeAlone: driver.executeAlone,
    close,
  };
}
