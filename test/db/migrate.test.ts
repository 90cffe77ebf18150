import { createHash } from 'node:crypto';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_MIGRATIONS_DIR, openDatabase, readMigrations } from '../../src/db/index.ts';
import type { Database } from '../../src/db/index.ts';
import { freshDatabase } from '../helpers/database.ts';
import type { FreshDatabase } from '../helpers/database.ts';

const INIT = '20261124000000_init';

interface MigrationRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
  applied_steps_count: number;
  logs: string | null;
}

describe('migrations at open', () => {
  let fresh: FreshDatabase;
  const open: Database[] = [];
  const logs: string[] = [];
  const openFresh = async (migrationsDir?: string) => {
    const db = await openDatabase({ ...fresh, migrationsDir, log: (m) => logs.push(m) });
    open.push(db);
    return db;
  };

  beforeEach(async () => {
    fresh = await freshDatabase();
    logs.length = 0;
  });
  afterEach(async () => {
    for (const db of open.splice(0)) await db.close();
    await fresh.cleanup();
  });

  it('migrates a fresh database and records it the way Prisma does', async () => {
    const db = await openFresh();
    expect(db.kind).toBe(fresh.databaseUrl ? 'postgres' : 'pglite');
    expect(logs).toContain(`database: applied migration ${INIT}`);
    expect(await db.prisma.user.count()).toBe(0);

    const rows = await db.prisma.$queryRawUnsafe<MigrationRow[]>(
      'SELECT migration_name, checksum, finished_at, rolled_back_at, applied_steps_count, logs FROM "_prisma_migrations"',
    );
    const committed = readMigrations();
    expect(rows.map((r) => r.migration_name).sort()).toEqual(committed.map((m) => m.name));
    for (const migration of committed) {
      const bytes = await readFile(join(DEFAULT_MIGRATIONS_DIR, migration.name, 'migration.sql'));
      const row = rows.find((r) => r.migration_name === migration.name);
      expect(row).toMatchObject({
        checksum: createHash('sha256').update(bytes).digest('hex'),
        rolled_back_at: null,
        applied_steps_count: 1,
        logs: null,
      });
      expect(row?.finished_at).toBeInstanceOf(Date);
    }
  });

  it('applies nothing on a second open', async () => {
    await (await openFresh()).close();
    logs.length = 0;
    const db = await openFresh();
    expect(logs.filter((m) => m.includes('applied migration'))).toEqual([]);
    const [row] = await db.prisma.$queryRawUnsafe<{ n: bigint }[]>('SELECT count(*) AS n FROM "_prisma_migrations"');
    expect(row?.n).toBe(BigInt(readMigrations().length));
  });

  describe('with a temp migrations dir', () => {
    let dir: string;
    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), 'sb-migrations-'));
      await cp(join(DEFAULT_MIGRATIONS_DIR, INIT), join(dir, INIT), { recursive: true });
    });
    afterEach(() => rm(dir, { recursive: true, force: true }));

    it('rolls back a failing migration and names it', async () => {
      const broken = '20261125000000_broken';
      await mkdir(join(dir, broken));
      await writeFile(
        join(dir, broken, 'migration.sql'),
        'CREATE TABLE "Half" ("id" INTEGER);\nINSERT INTO "Half" VALUES (1);\nSELECT no_such_function();\n',
      );
      await expect(openFresh(dir)).rejects.toThrow(`Migration ${broken} failed and was rolled back`);

      // The good one stayed applied, the broken one left nothing behind.
      await rm(join(dir, broken), { recursive: true });
      const db = await openFresh(dir);
      expect(logs.filter((m) => m.includes('applied migration'))).toEqual([`database: applied migration ${INIT}`]);
      logs.length = 0;
      const names = await db.prisma.$queryRawUnsafe<{ migration_name: string }[]>(
        'SELECT migration_name FROM "_prisma_migrations"',
      );
      expect(names.map((r) => r.migration_name)).toEqual([INIT]);
      const [half] = await db.prisma.$queryRawUnsafe<{ t: string | null }[]>(`SELECT to_regclass('"Half"')::text AS t`);
      expect(half?.t).toBeNull();
    });

    it('applies pending migrations in name order and warns about an edited applied one', async () => {
      await (await openFresh(dir)).close();
      const later = '20261126000000_later';
      const earlier = '20261125000000_earlier';
      await mkdir(join(dir, later));
      await writeFile(join(dir, later, 'migration.sql'), 'ALTER TABLE "Two" ADD COLUMN "b" INTEGER;');
      await mkdir(join(dir, earlier));
      await writeFile(join(dir, earlier, 'migration.sql'), 'CREATE TABLE "Two" ("a" INTEGER);');
      await writeFile(join(dir, INIT, 'migration.sql'), '-- edited\n', { flag: 'a' });
      expect(readMigrations(dir).map((m) => m.name)).toEqual([INIT, earlier, later]);

      logs.length = 0;
      const db = await openFresh(dir);
      expect(logs.filter((m) => m.includes('applied migration'))).toEqual([
        `database: applied migration ${earlier}`,
        `database: applied migration ${later}`,
      ]);
      expect(logs.some((m) => m.startsWith(`WARNING: migration ${INIT} was modified`))).toBe(true);
      await db.prisma.$executeRawUnsafe('INSERT INTO "Two" (a, b) VALUES (1, 2)');
    });
  });
});
