// npm run bench:dashboard: the dashboard's first full render of a 30-day range in headless
// Chromium, over a ledger of 1,000,000 rows on PostgreSQL.
//
// Creates a scratch database on DATABASE_URL's server (default postgresql://postgres@127.0.0.1:5432/postgres),
// applies the migrations, seeds 1,000,000 ledger rows over the last 30 UTC days (50 users, 8
// models, 3 gateways, 10% of them in 2,000 conversations; the roll-up triggers run as for the
// real ledger writer), starts the real server (createApp) and opens /dashboard as the admin (all
// users: the heaviest view) and as one user. "Full render" = from navigation start until every
// panel has its data and is drawn (the page sets data-state=ready). The first run is cold (a
// fresh server process cache and a fresh browser profile); then 5 warm runs, each in a fresh
// browser context. Drops the scratch database at the end (--keep keeps it, --reuse NAME runs on a
// kept one). Options: --rows N; --requests prints each GraphQL request's timing.
import { randomBytes } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import pg from 'pg';
import { createApp } from '../src/app.ts';
import { loadEnv } from '../src/platform/env.ts';
import { createLogger, type LogLevel } from '../src/platform/logger.ts';
import { ensureDashboardBuilt, launchChromium } from '../test/helpers/browser.ts';
import { helpRequested } from '../src/platform/cli-help.ts';

const USAGE = `usage: npm run bench:dashboard [-- --rows N] [--keep | --reuse NAME] [--requests]

The dashboard's first full render in headless Chromium over a seeded ledger on PostgreSQL.`;
if (helpRequested(process.argv.slice(2), USAGE)) process.exit(0);

const args = process.argv.slice(2);
const reuseArg = args.indexOf('--reuse');
/** --reuse NAME: a database kept by an earlier run (--keep), already seeded. */
const reuse = reuseArg >= 0 ? args[reuseArg + 1] : undefined;
const keep = args.includes('--keep') || reuse !== undefined;
/** --requests: also print each GraphQL request of the first and the last warm render (operation, start-end from navigation start, duration). */
const verbose = args.includes('--requests');
const rowsArg = args.indexOf('--rows');
const ROWS = rowsArg >= 0 ? Number(args[rowsArg + 1]) : 1_000_000;
const serverUrl = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const ADMIN_KEY = `bench-admin-${randomBytes(16).toString('hex')}`;
const DAY_MS = 86_400_000;

async function onServer<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function seed(dbUrl: string): Promise<void> {
  const t0 = performance.now();
  const end = Date.now();
  const start = Math.floor(end / DAY_MS) * DAY_MS + DAY_MS - 30 * DAY_MS;
  await onServer(dbUrl, async (c) => {
    await c.query(`INSERT INTO "User" ("id", "email") SELECT ('00000000-0000-7000-a000-' || lpad(to_hex(i), 12, '0'))::uuid, 'bench' || i || '@example.com' FROM generate_series(1, 50) AS i`);
    await c.query(
      `INSERT INTO "Conversation" ("id", "userId", "title", "model", "createdAt", "updatedAt")
       SELECT ('00000000-0000-7000-9000-' || lpad(to_hex(i), 12, '0'))::uuid, ('00000000-0000-7000-a000-' || lpad(to_hex(1 + i % 50), 12, '0'))::uuid,
              'Conversation ' || i, 'openai/gpt-5.5', to_timestamp($1::double precision / 1000) + (i % 29) * interval '1 day',
              to_timestamp($1::double precision / 1000) + (i % 29) * interval '1 day' + interval '2 hours'
       FROM generate_series(1, 2000) AS i`,
      [start],
    );
    await c.query(
      `INSERT INTO "UsageRecord" ("id", "callId", "userId", "requestedModel", "api", "gatewayId", "status", "inputTokens", "outputTokens",
         "cachedInputTokens", "cacheWriteTokens", "reasoningTokens", "totalTokens", "costUsd", "latencyMs", "timeToFirstTokenMs", "streamed",
         "conversationId", "createdAt", "finishedAt")
       SELECT id, id, u, m, api, gw, st, i % 4000, i % 1500, i % 700, i % 97, i % 300, i % 4000 + i % 1500 + i % 700 + i % 97,
              CASE WHEN i % 5 = 0 THEN NULL ELSE ((i % 4000) * 0.00000125 + (i % 1500) * 0.00001)::numeric(20, 10) END,
              100 + i % 900, CASE WHEN i % 3 = 0 THEN 40 + i % 400 END, i % 3 = 0,
              CASE WHEN i % 10 = 0 THEN ('00000000-0000-7000-9000-' || lpad(to_hex(1 + (i / 10) % 2000), 12, '0'))::uuid END,
              at, at + (100 + i % 900) * interval '1 millisecond'
       FROM (
         SELECT i, gen_random_uuid() AS id,
                ('00000000-0000-7000-a000-' || lpad(to_hex(1 + (i * 7919) % 50), 12, '0'))::uuid AS u,
                (ARRAY['openai/gpt-5.5','openai/gpt-5.5-pro','openai/gpt-4.1','anthropic/claude-sonnet-4-5','anthropic/claude-opus-5.5',
                       'google/gemini-3-flash','@cf/moonshotai/kimi-k2.6','@cf/zai-org/glm-5.2'])[(1 + (i * 31) % 8)::int] AS m,
                CASE WHEN (i * 31) % 8 IN (3, 4) THEN 'MESSAGES'::"UpstreamApi" WHEN i % 50 = 0 THEN 'RESPONSES'::"UpstreamApi" ELSE 'CHAT_COMPLETIONS'::"UpstreamApi" END AS api,
                (ARRAY['default','gw-a','gw-b'])[(1 + (i * 7919) % 50 % 3)::int] AS gw,
                (ARRAY['OK','OK','OK','OK','OK','OK','OK','OK','ERROR','CANCELLED']::"CallStatus"[])[(1 + (i * 11) % 10)::int] AS st,
                to_timestamp($2::double precision / 1000) + ((i::bigint * ($3::bigint - $2::bigint)) / $1::bigint) * interval '1 millisecond' AS at
         FROM generate_series(1, $1::bigint) AS i) AS g`,
      [ROWS, start, end - 60_000],
    );
    // A ledger that grew over 30 days has been vacuumed and checkpointed along the way; one bulk
    // load has not, and its first minutes of autovacuum and checkpoint writes would be timed
    // with the first render. Settle it the way a live database is settled.
    await c.query('VACUUM (ANALYZE)');
    await c.query('CHECKPOINT');
    const counts = (await c.query(`SELECT (SELECT count(*) FROM "UsageRecord") AS ledger, (SELECT count(*) FROM "UsageDaily") AS daily`)).rows[0];
    console.log(`seeded ${counts.ledger} ledger rows (${counts.daily} roll-up rows, 2000 conversations) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  });
}

async function main() {
  await ensureDashboardBuilt();
  const name = reuse ?? `sb_bench_dash_${randomBytes(4).toString('hex')}`;
  if (!reuse) await onServer(serverUrl, (c) => c.query(`CREATE DATABASE "${name}"`));
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const dbUrl = url.toString();
  const env = loadEnv({ NODE_ENV: 'bench', DATABASE_URL: dbUrl, ADMIN_API_KEY: ADMIN_KEY, LOG_LEVEL: 'silent', PORT: '0', GATEWAYS: 'gw-a,gw-b', LOG_PROMPTS: process.env.LOG_PROMPTS });
  let app = await createApp(env, { logger: createLogger((process.env.BENCH_LOG_LEVEL ?? 'silent') as LogLevel) });
  await app.close(); // migrations applied
  const browser = await launchChromium();
  try {
    if (!reuse) await seed(dbUrl);
    app = await createApp(env, { logger: createLogger((process.env.BENCH_LOG_LEVEL ?? 'silent') as LogLevel) });
    const admin = await app.services.access.authenticate(`Bearer ${ADMIN_KEY}`);
    // One user's key, revoked at the end (a kept database is re-timed many times; a user may hold 20 keys).
    const benchKey = await app.services.access.createApiKey(admin, { userId: '00000000-0000-7000-a000-000000000007', name: 'bench' });
    const userKey = benchKey.secret;
    const base = await app.listen(0);

    /** One GraphQL request of a render: its operation, when it started and ended (ms from navigation start). */
    interface Timed {
      operation: string;
      start: number;
      end: number;
    }

    async function render(key: string, path: string): Promise<{ ms: number; queries: Timed[] }> {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      await context.addInitScript((k) => sessionStorage.setItem('switchboard.apiKey', k), key);
      const page = await context.newPage();
      await page.goto(`${base}${path}`);
      await page.waitForFunction(() => document.documentElement.dataset.state === 'ready', undefined, { timeout: 60_000 });
      const result = await page.evaluate(() => ({
        ms: performance.now(),
        // Resource entries in the order the requests were sent, with the operation the page tagged
        // them with (?op= on the URL, see dashboard/src/graphql.ts).
        queries: performance
          .getEntriesByType('resource')
          .filter((e): e is PerformanceResourceTiming => new URL(e.name).pathname === '/graphql')
          .map((e) => ({ operation: new URL(e.name).searchParams.get('op') ?? '?', start: Math.round(e.startTime), end: Math.round(e.responseEnd) })),
      }));
      await context.close();
      return result;
    }

    const slowest = (qs: Timed[]) => Math.max(...qs.map((q) => q.end - q.start));

    const report = async (label: string, key: string, path = '/dashboard/?range=30d') => {
      const cold = await render(key, path);
      const warm: number[] = [];
      let last = cold;
      for (let i = 0; i < 5; i++) {
        last = await render(key, path);
        warm.push(last.ms);
      }
      console.log(`${label.padEnd(34)} first ${cold.ms.toFixed(0).padStart(5)} ms   warm median ${median(warm).toFixed(0).padStart(5)} ms (max ${Math.max(...warm).toFixed(0)})   ${last.queries.length} GraphQL requests, slowest ${slowest(last.queries)} ms`);
      if (verbose) {
        for (const [name, run] of [['first', cold], ['last warm', last]] as const) {
          console.log(`  ${name}: ${run.queries.map((q) => `${q.operation} ${q.start}-${q.end} (${q.end - q.start})`).join(', ')}`);
        }
      }
    };
    console.log(`\n/dashboard/?range=30d (30 UTC days), 1280x900, navigation start -> every panel drawn`);
    await report('admin, all users', ADMIN_KEY);
    await report('one user (20,000 rows)', userKey);
    // The same page over a range with no rows: what the machine's load and the page itself cost.
    await report('baseline: admin, an empty 30 days', ADMIN_KEY, '/dashboard/?range=custom&from=2020-01-01&to=2020-01-30');
    console.log(`(machine: ${cpus().length} CPUs, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} at the end)`);
    await app.services.access.revokeApiKey(admin, benchKey.apiKey.id);
  } finally {
    await browser.close();
    await app.close();
    if (!keep) await onServer(serverUrl, (c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    else console.log(`kept ${name}`);
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
