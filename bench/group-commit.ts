// `npx tsx bench/group-commit.ts [--rows N]`: what a ledger commit costs per row, by batch size
// and by how many commits are in flight at once, on the embedded database and (with
// DATABASE_URL) on PostgreSQL. The statement is the ledger's: one json_populate_recordset
// INSERT per batch through db.execute (autocommit, so each batch is one durable commit).
// Reported per row: wall time, this process's CPU (all threads: PGlite's worker included) and,
// on PostgreSQL, its backends' CPU (from /proc via pg_stat_activity). Input for tuning the
// ledger's group commit per database (bench/results/group-commit-*.json).
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { openDatabase, type Database } from '../src/db/index.ts';
import { freshDatabase } from '../test/helpers/database.ts';
import { PgBackends } from './lib/pg-backends.ts';

const argv = process.argv.slice(2);
const rowsPerCase = Number(argv[argv.indexOf('--rows') + 1] || 2048);
const BATCHES = [1, 2, 4, 8, 32, 128];
const IN_FLIGHT = [1, 2, 4];
const COLUMNS = ['id', 'callId', 'attempt', 'userId', 'requestedModel', 'api', 'gatewayId', 'status', 'latencyMs', 'inputTokens', 'outputTokens', 'totalTokens', 'costUsd', 'createdAt'];
const LIST = COLUMNS.map((c) => `"${c}"`).join(', ');
const INSERT = `INSERT INTO "UsageRecord" (${LIST}) SELECT ${LIST} FROM json_populate_recordset(NULL::"UsageRecord", $1::json)`;

const row = (userId: string) => ({
  id: randomUUID(), callId: randomUUID(), attempt: 1, userId, requestedModel: 'openai/gpt-5.5', api: 'CHAT_COMPLETIONS', gatewayId: 'default',
  status: 'OK', latencyMs: 3, inputTokens: 5, outputTokens: 7, totalTokens: 12, costUsd: '0.0000123400', createdAt: new Date().toISOString(),
});

const cpuMicros = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

async function measure(db: Database, userId: string, batch: number, inFlight: number, backends?: PgBackends) {
  const batches = Math.max(inFlight, Math.ceil(rowsPerCase / batch));
  let next = 0;
  const lane = async () => {
    while (next < batches) {
      next++;
      await db.execute(INSERT, [JSON.stringify(Array.from({ length: batch }, () => row(userId)))]);
    }
  };
  const dbStart = await backends?.snapshot();
  const cpu0 = cpuMicros();
  const t0 = performance.now();
  await Promise.all(Array.from({ length: inFlight }, lane));
  const wall = performance.now() - t0;
  const cpu = cpuMicros() - cpu0;
  const dbCpu = backends && dbStart ? PgBackends.between(dbStart, await backends.snapshot()) : 0;
  const rows = batches * batch;
  const r1 = (n: number) => Math.round(n * 10) / 10;
  return { batch, inFlight, rows, wallUsPerRow: r1((wall * 1000) / rows), processCpuUsPerRow: r1(cpu / rows), dbCpuUsPerRow: r1(dbCpu / rows), commitMs: r1((wall * inFlight) / batches) };
}

async function run(kind: 'embedded' | 'postgresql') {
  const fresh = await freshDatabase();
  const db = await openDatabase(kind === 'embedded' ? { dataDir: fresh.dataDir } : fresh);
  const backends = fresh.databaseUrl ? await PgBackends.connect(process.env.DATABASE_URL!, new URL(fresh.databaseUrl).pathname.slice(1)) : undefined;
  const userId = randomUUID();
  await db.prisma.user.create({ data: { id: userId, email: 'bench@switchboard.local' } });
  const results = [];
  try {
    await measure(db, userId, 8, 1, backends); // warm-up
    for (const inFlight of kind === 'embedded' ? [1] : IN_FLIGHT) {
      for (const batch of BATCHES) {
        const r = await measure(db, userId, batch, inFlight, backends);
        console.log(`${kind.padEnd(10)} batch ${String(batch).padStart(3)} x ${inFlight} in flight: ${r.wallUsPerRow} µs wall/row, ${r.processCpuUsPerRow} µs process CPU/row, ${r.dbCpuUsPerRow} µs backend CPU/row, ${r.commitMs} ms per commit`);
        results.push({ database: kind, ...r });
      }
    }
  } finally {
    await backends?.close();
    await db.close();
    await fresh.cleanup();
  }
  return results;
}

const results = [...(await run('embedded')), ...(process.env.DATABASE_URL ? await run('postgresql') : [])];
const dir = fileURLToPath(new URL('./results/', import.meta.url));
mkdirSync(dir, { recursive: true });
writeFileSync(`${dir}group-commit-latest.json`, JSON.stringify({ kind: 'group-commit', at: new Date().toISOString(), rowsPerCase, results }, null, 2) + '\n');
console.log(`wrote ${dir}group-commit-latest.json`);
