// The ledger's API-key and team indexes hold only rows that have a key or a team (partial: a call
// without one writes no entry, at its write-ahead nor at its finish). Their readers must still be
// served by them: the limit books, the budget alerts and the recent calls look rows up by a key
// or a team with `=`, which implies NOT NULL. Checked on the plan the database would cache for
// those statements (generic: the values are parameters), over a ledger where few rows have one.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/db/index.ts';
import { settledUsageSql } from '../../src/domain/alerts/alert-checker.ts';
import { booksSql } from '../../src/domain/limits/ledger-books.ts';
import { freshDatabase, type FreshDatabase } from '../helpers/database.ts';

let fresh: FreshDatabase;
let db: Database;
const userId = randomUUID();
const keyId = randomUUID();
const teamId = randomUUID();

beforeAll(async () => {
  fresh = await freshDatabase();
  db = await openDatabase(fresh);
  await db.prisma.user.create({ data: { id: userId, email: 'indexes@example.com' } });
  // 20,000 rows over 30 days; one in a hundred carries the key and the team.
  await db.prisma.$executeRawUnsafe(
    `INSERT INTO "UsageRecord" ("id", "callId", "attempt", "userId", "apiKeyId", "teamId", "requestedModel", "api", "gatewayId", "status", "latencyMs", "createdAt")
     SELECT gen_random_uuid(), gen_random_uuid(), 1, $1::uuid,
            CASE WHEN i % 100 = 0 THEN $2::uuid END, CASE WHEN i % 100 = 0 THEN $3::uuid END,
            'openai/gpt-5.5', 'CHAT_COMPLETIONS', 'default', 'OK', 3, now() - make_interval(secs => i * 130)
       FROM generate_series(1, 20000) AS i`,
    userId,
    keyId,
    teamId,
  );
  await db.prisma.$executeRawUnsafe('ANALYZE "UsageRecord"');
}, 60_000);
afterAll(async () => {
  await db?.close();
  await fresh?.cleanup();
});

/** The index names in the generic plan of `sql` with these parameter types. */
async function indexesOfGenericPlan(sql: string, types: string[], values: string[]): Promise<string> {
  return db.prisma.$transaction(async (tx) => {
    await tx.$executeRawUnsafe(`SET LOCAL plan_cache_mode = force_generic_plan`);
    await tx.$executeRawUnsafe(`PREPARE reader${types.length > 0 ? `(${types.join(', ')})` : ''} AS ${sql}`);
    try {
      const plan = await tx.$queryRawUnsafe<Array<Record<string, unknown>>>(`EXPLAIN (FORMAT JSON) EXECUTE reader${values.length > 0 ? `(${values.map((v) => `'${v}'`).join(', ')})` : ''}`);
      return JSON.stringify(plan);
    } finally {
      await tx.$executeRawUnsafe('DEALLOCATE reader');
    }
  });
}

describe('the ledger indexes by API key and team (partial)', () => {
  const since = new Date(Date.now() - 30 * 86_400_000).toISOString();
  const books = ['uuid', 'timestamptz', 'timestamptz', 'timestamptz'];

  it('hold only rows that carry a key or a team', async () => {
    await db.prisma.$executeRawUnsafe('VACUUM "UsageRecord"');
    const sizes = await db.prisma.$queryRawUnsafe<Array<{ relname: string; entries: number }>>(
      `SELECT relname::text AS "relname", reltuples::int AS "entries" FROM pg_class
        WHERE relname IN ('UsageRecord_apiKeyId_createdAt_idx', 'UsageRecord_teamId_createdAt_idx', 'UsageRecord_userId_createdAt_idx') ORDER BY relname`,
    );
    expect(sizes).toEqual([
      { relname: 'UsageRecord_apiKeyId_createdAt_idx', entries: 200 },
      { relname: 'UsageRecord_teamId_createdAt_idx', entries: 200 },
      { relname: 'UsageRecord_userId_createdAt_idx', entries: 20_000 },
    ]);
  });

  it("serve a key's and a team's limit books", async () => {
    for (const [level, index] of [['key', 'UsageRecord_apiKeyId_createdAt_idx'], ['team', 'UsageRecord_teamId_createdAt_idx']] as const) {
      const plan = await indexesOfGenericPlan(booksSql(level), books, [level === 'key' ? keyId : teamId, since, since, since]);
      expect(plan, level).toContain(index);
    }
  });

  it("serve a key's and a team's budget-alert sums and a team's recent calls", async () => {
    const alerts = ['uuid', 'timestamptz', 'timestamptz'];
    expect(await indexesOfGenericPlan(settledUsageSql('API_KEY'), alerts, [keyId, since, since])).toContain('UsageRecord_apiKeyId_createdAt_idx');
    expect(await indexesOfGenericPlan(settledUsageSql('TEAM'), alerts, [teamId, since, since])).toContain('UsageRecord_teamId_createdAt_idx');
    // recent-calls.ts asks Prisma for { teamId } ordered by createdAt, id: this statement.
    const recent = `SELECT "id" FROM "UsageRecord" WHERE "teamId" = $1 ORDER BY "createdAt" DESC, "id" DESC LIMIT 51`;
    expect(await indexesOfGenericPlan(recent, ['uuid'], [teamId])).toContain('UsageRecord_teamId_createdAt_idx');
  });
});
