// `DATABASE_URL=... npx tsx bench/ledger-rows.ts [--calls N] [--concurrency C] [--sql "STATEMENTS"]`:
// the PostgreSQL backend CPU of the ledger alone, per call. C lanes each run the ledger's own
// write-ahead (begin) and finish, through the real group commit, on a fresh database; `--sql`
// alters that database first (a variant to compare: an index dropped, a trigger disabled, a
// fillfactor), and runs alternated with the plain schema are what to compare (this machine's
// speed moves ±40 % between minutes). Prints backend CPU per call, rows per statement and the
// share of finishes PostgreSQL made HOT updates. To see where the backends spend it, run
// `perf record -F 2000 -g -p <backend pids>` meanwhile (docs/performance.md).
import { randomUUID } from 'node:crypto';
import { openDatabase } from '../src/db/index.ts';
import { createLedger } from '../src/domain/ledger/ledger.ts';
import { pendingRow } from '../src/domain/generation/attempt-row.ts';
import type { UsageRow } from '../src/domain/ledger/usage-row.ts';
import { createLogger } from '../src/platform/logger.ts';
import { freshDatabase } from '../test/helpers/database.ts';
import { PgBackends } from './lib/pg-backends.ts';

const argv = process.argv.slice(2);
const value = (name: string) => (argv.includes(`--${name}`) ? argv[argv.indexOf(`--${name}`) + 1] : undefined);
const calls = Number(value('calls') ?? 12_000);
const lanes = Number(value('concurrency') ?? 32);
const variant = value('sql');
if (!process.env.DATABASE_URL) throw new Error('bench/ledger-rows.ts measures PostgreSQL backends: set DATABASE_URL');

const fresh = await freshDatabase();
const db = await openDatabase(fresh);
const userId = randomUUID();
await db.prisma.user.create({ data: { id: userId, email: 'bench@switchboard.local' } });
if (variant) await db.prisma.$executeRawUnsafe(variant);
const statements = { durable: 0, deferred: 0 };
const ledger = createLedger({ db, logger: createLogger('error'), onCommit: (durable) => void (durable ? statements.durable++ : statements.deferred++) });
const ownerId = randomUUID();

const who = { principal: { userId, role: 'USER' as const }, transport: 'trpc-http' };
/** A call's PENDING row, as the call runner writes it (attempt-row.ts). */
const pending = (): UsageRow => {
  const id = randomUUID();
  const request = { model: 'openai/gpt-5.5', messages: [{ role: 'user' as const, content: 'hello' }], gatewayId: 'default', eventId: id };
  return pendingRow(request, 'CHAT_COMPLETIONS', who, { id, callId: randomUUID(), attempt: 1, startedAt: performance.now(), createdAt: new Date(), inputEstimate: 5 }, false, ownerId);
};

/** One lane: begin, the upstream's ~1 ms, finish; n times. */
async function lane(n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const row = pending();
    await ledger.begin(row);
    await new Promise((resolve) => setTimeout(resolve, 1));
    await ledger.finish({ ...row, status: 'OK', outputTokens: 7, totalTokens: 12, usageEstimated: false, costUsd: '0.0000123400', latencyMs: 3, finishReason: 'stop', finishedAt: new Date() });
  }
}

const backends = await PgBackends.connect(process.env.DATABASE_URL, new URL(fresh.databaseUrl!).pathname.slice(1));
try {
  await Promise.all(Array.from({ length: lanes }, () => lane(50))); // warm-up
  statements.durable = statements.deferred = 0;
  const start = await backends.snapshot();
  const t0 = performance.now();
  await Promise.all(Array.from({ length: lanes }, () => lane(Math.ceil(calls / lanes))));
  const wallMs = performance.now() - t0;
  const done = Math.ceil(calls / lanes) * lanes;
  const cpu = PgBackends.between(start, await backends.snapshot());
  const [hot] = await db.prisma.$queryRawUnsafe<Array<{ hot: bigint; all: bigint }>>(
    `SELECT n_tup_hot_upd AS hot, n_tup_upd AS all FROM pg_stat_user_tables WHERE relname = 'UsageRecord'`,
  );
  console.log(
    `${variant ? `variant (${variant})` : 'schema as migrated'}: ${Math.round(cpu / done)} µs backend CPU per call, ` +
      `${(done / statements.durable).toFixed(1)} rows per begin statement, ${(done / statements.deferred).toFixed(1)} per finish, ` +
      `HOT updates ${hot ? `${hot.hot} of ${hot.all}` : 'n/a'}, ${Math.round((done * 1000) / wallMs)} calls/s`,
  );
} finally {
  await backends.close();
  ledger.close();
  await db.close();
  await fresh.cleanup();
}
