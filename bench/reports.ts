// npm run bench:reports: usage reports over a ledger of one million rows on PostgreSQL.
//
// Creates a scratch database on DATABASE_URL's server (default postgresql://postgres@127.0.0.1:5432/postgres),
// applies the migrations, seeds 1,000,000 ledger rows with generate_series (50 users, 8 models,
// 3 gateways, 30 days; the roll-up triggers run as they do for the real ledger writer), then runs
// each grouping through the real report service (median of 5 warm runs) and prints EXPLAIN
// (ANALYZE, BUFFERS) plans. For comparison it also times the same GROUP BY straight over the
// ledger. The synthetic mix: each user mostly on its chosen gateway, the upstream API following
// the model's route, 80% OK; two API keys per user, 5 teams, 8 tag sets (app x env) + untagged. Drops the scratch database at the end (--keep keeps it). Options: --rows N.
import { randomBytes } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import pg from 'pg';
import { openDatabase } from '../src/db/index.ts';
import { createUsageReports, reportSql, type ReportQuery } from '../src/domain/reports/usage-report.ts';
import type { UsageDimension } from '../src/domain/reports/schemas.ts';
import { helpRequested } from '../src/platform/cli-help.ts';

const USAGE = `usage: npm run bench:reports [-- --rows N] [--keep]

Usage reports over a seeded ledger (default 1,000,000 rows) in a scratch database on DATABASE_URL's server.`;
if (helpRequested(process.argv.slice(2), USAGE)) process.exit(0);

const args = process.argv.slice(2);
const keep = args.includes('--keep');
const rowsArg = args.indexOf('--rows');
const ROWS = rowsArg >= 0 ? Number(args[rowsArg + 1]) : 1_000_000;
const serverUrl = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

async function onServer<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

const ms = (t0: number) => performance.now() - t0;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main() {
  const name = `sb_bench_${randomBytes(4).toString('hex')}`;
  await onServer(serverUrl, (c) => c.query(`CREATE DATABASE "${name}"`));
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const dbUrl = url.toString();
  console.log(`scratch database ${name}; PostgreSQL ${await onServer(dbUrl, async (c) => (await c.query('SHOW server_version')).rows[0].server_version)}`);
  const db = await openDatabase({ databaseUrl: dbUrl, dataDir: '/tmp/unused', log: () => {} });
  const client = new pg.Client({ connectionString: dbUrl });
  await client.connect();
  try {
    let t0 = performance.now();
    await client.query(`INSERT INTO "User" ("id", "email") SELECT ('00000000-0000-7000-8000-' || lpad(to_hex(i), 12, '0'))::uuid, 'bench' || i || '@example.com' FROM generate_series(1, 50) AS i`);
    await client.query(`
      INSERT INTO "UsageRecord" ("id", "callId", "userId", "apiKeyId", "teamId", "tags", "requestedModel", "api", "gatewayId", "status", "inputTokens", "outputTokens",
        "cachedInputTokens", "cacheWriteTokens", "reasoningTokens", "totalTokens", "costUsd", "latencyMs", "createdAt")
      SELECT gen_random_uuid(), gen_random_uuid(),
             ('00000000-0000-7000-8000-' || lpad(to_hex(1 + (i * 7919) % 50), 12, '0'))::uuid,
             -- attribution: two API keys (apps) per user, 5 teams of 9 users (5 users in none), 8 tag sets + untagged
             ('00000000-0000-7000-9000-' || lpad(to_hex(2 * ((i * 7919) % 50) + i % 2), 12, '0'))::uuid,
             CASE WHEN (i * 7919) % 50 >= 45 THEN NULL ELSE ('00000000-0000-7000-a000-' || lpad(to_hex((i * 7919) % 50 % 5), 12, '0'))::uuid END,
             CASE WHEN i % 10 = 0 THEN NULL ELSE jsonb_build_object('app', (ARRAY['web','batch','mobile','api'])[1 + i % 4], 'env', CASE WHEN i % 3 = 0 THEN 'dev' ELSE 'prod' END) END,
             (ARRAY['openai/gpt-5.5','openai/gpt-5.5-pro','openai/gpt-4.1','anthropic/claude-sonnet-4-5','anthropic/claude-opus-5.5',
                    'google/gemini-3-flash','@cf/moonshotai/kimi-k2.6','@cf/zai-org/glm-5.2'])[(1 + (i * 31) % 8)::int],
             -- the API follows the model (routing); a few calls force another one
             CASE WHEN i % 50 = 0 THEN 'RESPONSES'::"UpstreamApi" WHEN (i * 31) % 8 IN (3, 4) THEN 'MESSAGES'::"UpstreamApi"
                  WHEN (i * 31) % 8 IN (6, 7) AND i % 2 = 0 THEN 'RUN'::"UpstreamApi" ELSE 'CHAT_COMPLETIONS'::"UpstreamApi" END,
             -- each user mostly uses its chosen gateway
             (ARRAY['default','gw-a','gw-b'])[(1 + (CASE WHEN i % 20 = 0 THEN i / 20 ELSE (i * 7919) % 50 END) % 3)::int],
             (ARRAY['OK','OK','OK','OK','OK','OK','OK','OK','ERROR','CANCELLED']::"CallStatus"[])[(1 + (i * 11) % 10)::int],
             i % 4000, i % 1500, i % 700, i % 97, i % 300, i % 4000 + i % 1500 + i % 700 + i % 97,
             CASE WHEN i % 5 = 0 THEN NULL ELSE ((i % 4000) * 0.00000125 + (i % 1500) * 0.00001)::numeric(20, 10) END,
             100 + i % 900,
             timestamptz '2026-11-01 00:00:00+00' + ((i::bigint * 2592000000) / $1) * interval '1 millisecond'
      FROM generate_series(1, $1::bigint) AS i`, [ROWS]);
    await client.query('ANALYZE');
    const counts = (await client.query(`SELECT (SELECT count(*) FROM "UsageRecord") AS ledger, (SELECT count(*) FROM "UsageDaily") AS daily`)).rows[0];
    console.log(`seeded ${counts.ledger} ledger rows (${counts.daily} roll-up rows) in ${(ms(t0) / 1000).toFixed(1)} s\n`);

    const reports = createUsageReports({ prisma: db.prisma });
    const from = new Date('2026-11-01T06:00:00Z');
    const to = new Date('2026-11-30T18:00:00Z');
    const oneUser = '00000000-0000-7000-8000-000000000007';
    const cases: Array<[string, ReportQuery]> = [
      ...([[], ['DAY'], ['MODEL'], ['GATEWAY'], ['USER'], ['API'], ['STATUS'], ['DAY', 'MODEL'], ['DAY', 'MODEL', 'GATEWAY', 'USER', 'API', 'STATUS'], ['API_KEY'], ['TEAM'], ['TAG'], ['TEAM', 'TAG']] as UsageDimension[][]).map(
        (groupBy): [string, ReportQuery] => [`all users, ${groupBy.join(',') || '(totals)'}`, { from, to, groupBy, userId: null }],
      ),
      ['one user, DAY,MODEL', { from, to, groupBy: ['DAY', 'MODEL'], userId: oneUser }],
      ['all users, MODEL, model+gateway filter', { from, to, groupBy: ['MODEL'], userId: null, model: 'openai/gpt-5.5', gatewayId: 'gw-a' }],
      ['all users, TAG, team filter', { from, to, groupBy: ['TAG'], userId: null, teamId: '00000000-0000-7000-a000-000000000002' }],
      ['all users, MODEL, tags filter {app,env}', { from, to, groupBy: ['MODEL'], userId: null, tags: { app: 'web', env: 'prod' } }],
    ];
    console.log('report (29.5 days, partial first and last day)      rows   median ms (5 warm runs, through Prisma)');
    const plans: string[] = [];
    const medians = new Map<string, number>();
    for (const [label, q] of cases) {
      const times: number[] = [];
      let rows = 0;
      await reports.run(q);
      for (let i = 0; i < 5; i++) {
        t0 = performance.now();
        rows = (await reports.run(q)).rows.length;
        times.push(ms(t0));
      }
      console.log(`${label.padEnd(52)} ${String(rows).padStart(6)}   ${median(times).toFixed(1).padStart(8)}`);
      medians.set(label, median(times));
      const { sql, params } = reportSql(q);
      const plan = (await client.query(`EXPLAIN (ANALYZE, BUFFERS) ${sql}`, params)).rows.map((r) => r['QUERY PLAN']).join('\n');
      plans.push(`--- ${label}\n${plan}`);
    }

    const byModel = medians.get('all users, MODEL')!;
    for (const d of ['API_KEY', 'TEAM', 'TAG']) console.log(`${d} grouping / MODEL grouping: ${(medians.get(`all users, ${d}`)! / byModel).toFixed(2)}x`);

    // For comparison: the same grouping straight over the ledger (what the roll-up avoids).
    const direct = `SELECT "requestedModel", count(*), sum("inputTokens"), sum("outputTokens"), sum("totalTokens"), sum("costUsd") FROM "UsageRecord"
                    WHERE "createdAt" >= $1 AND "createdAt" < $2 GROUP BY 1`;
    const directTimes: number[] = [];
    for (let i = 0; i < 3; i++) {
      t0 = performance.now();
      await client.query(direct, [from, to]);
      directTimes.push(ms(t0));
    }
    console.log(`(machine: ${cpus().length} CPUs, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} at the end)`);
    console.log(`\nfor comparison, GROUP BY model straight over the ledger (no roll-up): ${median(directTimes).toFixed(1)} ms`);

    // What the roll-up triggers add to the ledger's writes: single-row and 32-row INSERTs, on and off.
    const insertBatch = async (n: number) => {
      const values = Array.from({ length: n }, (_, i) => `(gen_random_uuid(), gen_random_uuid(), '00000000-0000-7000-8000-000000000001', 'openai/gpt-5.5', 'CHAT_COMPLETIONS', 'default', 'OK', ${i}, 10, 0, 0, 0, ${i + 10}, 0.0001, 100, now())`);
      await client.query(`INSERT INTO "UsageRecord" ("id", "callId", "userId", "requestedModel", "api", "gatewayId", "status", "inputTokens", "outputTokens",
        "cachedInputTokens", "cacheWriteTokens", "reasoningTokens", "totalTokens", "costUsd", "latencyMs", "createdAt") VALUES ${values.join(', ')}`);
    };
    const perInsert = async (n: number, times: number) => {
      t0 = performance.now();
      for (let i = 0; i < times; i++) await insertBatch(n);
      return (ms(t0) / times) * 1000;
    };
    const trigger = { on: [0, 0], off: [0, 0] };
    for (const state of ['off', 'on', 'off', 'on'] as const) {
      await client.query(`ALTER TABLE "UsageRecord" ${state === 'on' ? 'ENABLE' : 'DISABLE'} TRIGGER USER`);
      trigger[state] = [await perInsert(1, 400), await perInsert(32, 100)];
    }
    await client.query(`ALTER TABLE "UsageRecord" ENABLE TRIGGER USER`);
    console.log(`ledger INSERT round trip, roll-up triggers off -> on: 1 row ${trigger.off[0]!.toFixed(0)} -> ${trigger.on[0]!.toFixed(0)} µs, 32 rows ${trigger.off[1]!.toFixed(0)} -> ${trigger.on[1]!.toFixed(0)} µs`);

    console.log('\nQuery plans (EXPLAIN ANALYZE, BUFFERS):\n');
    console.log(plans.filter((_, i) => [0, 7, 8, 9].includes(i)).join('\n\n'));
  } finally {
    await client.end();
    await db.close();
    if (!keep) await onServer(serverUrl, (c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    else console.log(`kept ${name}`);
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
