// Applies prisma/migrations/*/migration.sql at start-up, the way `prisma migrate deploy` would
// (Prisma's own deploy needs its native engine, which no machine here can download; see docs/operations.md):
// - under Prisma's advisory lock (72707369), so concurrent starters wait for each other;
// - each pending migration in its own transaction, recorded in `_prisma_migrations` with Prisma's
//   columns and the sha256 hex of the file bytes, so Prisma's `migrate status`/`deploy` agree;
// - a failing migration rolls back and throws an Error naming it, which blocks start-up.
// An already applied migration whose file changed is only a loud warning, as with
// `prisma migrate deploy`: the database already has it, re-running is impossible, and refusing
// to start over an edited comment would be worse. A migration Prisma recorded as failed
// (finished_at and rolled_back_at both NULL) blocks start-up, as it does for Prisma (P3009).
import { createHash, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SqlSession, WithSqlSession } from './sql-session.ts';

export const PRISMA_MIGRATE_LOCK_KEY = 72707369;
export const DEFAULT_MIGRATIONS_DIR = fileURLToPath(new URL('../../prisma/migrations/', import.meta.url));

const CREATE_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

export interface MigrationFile {
  name: string;
  sql: string;
  checksum: string;
}

export interface ApplyMigrationsOptions {
  /** Folder of `<name>/migration.sql` folders; defaults to the repository's prisma/migrations. */
  migrationsDir?: string;
  log?: (msg: string) => void;
}

export function sha256Hex(bytes: Buffer | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The migrations in `dir`, in name order (Prisma's order: the timestamp prefix). */
export function readMigrations(dir: string = DEFAULT_MIGRATIONS_DIR): MigrationFile[] {
  return readdirSync(dir)
    .filter((name) => statSync(join(dir, name)).isDirectory())
    .sort()
    .flatMap((name) => {
      const file = join(dir, name, 'migration.sql');
      let bytes: Buffer;
      try {
        bytes = readFileSync(file);
      } catch {
        return [];
      }
      return [{ name, sql: bytes.toString('utf8'), checksum: sha256Hex(bytes) }];
    });
}

interface AppliedRow extends Record<string, unknown> {
  migration_name: string;
  checksum: string;
  finished_at: Date | string | null;
  rolled_back_at: Date | string | null;
}

async function applyOne(session: SqlSession, migration: MigrationFile): Promise<void> {
  await session.exec('BEGIN');
  try {
    await session.exec(migration.sql);
    await session.query(
      `INSERT INTO "_prisma_migrations"
         (id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at, applied_steps_count)
       VALUES ($1, $2, now(), $3, NULL, NULL, now(), 1)`,
      [randomUUID(), migration.checksum, migration.name],
    );
    await session.exec('COMMIT');
  } catch (e) {
    await session.exec('ROLLBACK').catch(() => undefined);
    const reason = e instanceof Error ? e.message : String(e);
    throw new Error(`Migration ${migration.name} failed and was rolled back: ${reason}`, { cause: e });
  }
}

async function applyLocked(
  session: SqlSession,
  migrations: MigrationFile[],
  log: (msg: string) => void,
): Promise<string[]> {
  await session.exec(CREATE_MIGRATIONS_TABLE);
  const rows = await session.query<AppliedRow>(
    `SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations"`,
  );
  const failed = rows.find((r) => r.finished_at === null && r.rolled_back_at === null);
  if (failed) {
    throw new Error(
      `Migration ${failed.migration_name} is recorded as failed in _prisma_migrations; resolve it ` +
        `(prisma migrate resolve) before starting.`,
    );
  }
  const applied = new Map(
    rows.filter((r) => r.finished_at !== null && r.rolled_back_at === null).map((r) => [r.migration_name, r]),
  );
  const known = new Set(migrations.map((m) => m.name));
  for (const name of applied.keys()) {
    if (!known.has(name)) log(`WARNING: migration ${name} is applied in the database but missing from the migrations folder`);
  }

  const done: string[] = [];
  for (const migration of migrations) {
    const row = applied.get(migration.name);
    if (row) {
      if (row.checksum !== migration.checksum) {
        log(
          `WARNING: migration ${migration.name} was modified after it was applied ` +
            `(checksum ${row.checksum} in the database, ${migration.checksum} on disk); it is not re-applied`,
        );
      }
      continue;
    }
    await applyOne(session, migration);
    log(`database: applied migration ${migration.name}`);
    done.push(migration.name);
  }
  return done;
}

/** Applies the pending migrations; returns the names applied now (empty when up to date). */
export async function applyMigrations(
  withSession: WithSqlSession,
  options: ApplyMigrationsOptions = {},
): Promise<string[]> {
  const log = options.log ?? (() => undefined);
  const migrations = readMigrations(options.migrationsDir);
  return withSession(async (session) => {
    // Session-level lock: held across the per-migration transactions, released below (or by the
    // connection being destroyed when something failed).
    await session.query(`SELECT pg_advisory_lock(${PRISMA_MIGRATE_LOCK_KEY})`);
    try {
      return await applyLocked(session, migrations, log);
    } finally {
      await session.query(`SELECT pg_advisory_unlock(${PRISMA_MIGRATE_LOCK_KEY})`).catch(() => undefined);
    }
  });
}
