// npm run bench:reconcile [-- ROWS]: reconciles one day of ROWS (default 100,000) ledger rows against
// the simulator's logs (one log per row, 3 altered), and reports the run's time and the process's
// peak RSS / heap. With DATABASE_URL: a fresh database on that server (dropped after), else a
// fresh PGlite in a temp dir.
import { openDatabase } from '../src/db/index.ts';
import { freshDatabase } from '../test/helpers/database.ts';
import { restLogSource } from '../src/domain/reconciliation/log-source.ts';
import { createReconciliationService } from '../src/domain/reconciliation/reconciliation-service.ts';
import { uuidv7 } from '../src/platform/ids.ts';
import { createLogger } from '../src/platform/logger.ts';
import { startSimulator } from '../src/simulator/server.ts';
import { createGatewayLogsClient } from '../src/upstream/gateway-logs-client.ts';
import { helpRequested } from '../src/platform/cli-help.ts';

const USAGE = `usage: npm run bench:reconcile [-- ROWS]

Reconciles one day of ROWS (default 100,000) ledger rows against the simulator's logs.`;
if (helpRequested(process.argv.slice(2), USAGE)) process.exit(0);

const ROWS = Number(process.argv[2] ?? 100_000);
const fresh = await freshDatabase();
const db = await openDatabase({ databaseUrl: fresh.databaseUrl, dataDir: fresh.dataDir, log: () => {} });
const sim = await startSimulator();
const day = new Date(Date.UTC(2026, 10, 20));
const user = await db.prisma.user.create({ data: { id: uuidv7(), email: `bench-${Date.now()}@example.com` } });

console.log(`seeding ${ROWS} rows and logs (${db.kind})...`);
const seedStart = performance.now();
for (let i = 0; i < ROWS; i += 5_000) {
  const rows = [];
  for (let j = i; j < Math.min(ROWS, i + 5_000); j++) {
    const id = uuidv7();
    const at = new Date(day.getTime() + Math.floor((j / ROWS) * 86_400_000));
    rows.push({ id, callId: id, userId: user.id, requestedModel: 'openai/gpt-5.5', api: 'CHAT_COMPLETIONS', gatewayId: 'default', status: 'OK', inputTokens: 20, outputTokens: 10, totalTokens: 30, costUsd: '0.0004', latencyMs: 100, createdAt: at.toISOString() });
    sim.logs.record('default', { eventId: id, model: 'openai/gpt-5.5', provider: 'openai', path: 'ai/v1/chat/completions', status: 200, cached: false, durationMs: 100, tokensIn: 20, tokensOut: j % 33_333 === 7 ? 99 : 10, metadata: null, requestBytes: 0, responseBytes: 0, at: at.getTime() + 50 });
  }
  await db.execute(`INSERT INTO "UsageRecord" ("id","callId","userId","requestedModel","api","gatewayId","status","inputTokens","outputTokens","totalTokens","costUsd","latencyMs","createdAt")
    SELECT "id","callId","userId","requestedModel","api","gatewayId","status","inputTokens","outputTokens","totalTokens","costUsd","latencyMs","createdAt" FROM json_populate_recordset(NULL::"UsageRecord", $1::json)`, [JSON.stringify(rows)]);
}
console.log(`seeded in ${((performance.now() - seedStart) / 1000).toFixed(1)} s`);

const client = createGatewayLogsClient({ baseUrl: sim.baseUrl, accountId: 'bench', apiToken: 'bench', timeoutMs: 30_000 });
const service = createReconciliationService({ prisma: db.prisma, db, source: restLogSource(client), defaultGatewayId: 'default', lagMs: 0, logger: createLogger(process.env.BENCH_LOG === 'debug' ? 'debug' : 'silent'), scopeOf: async () => null });
global.gc?.();
const base = process.memoryUsage();
let peakRss = base.rss;
let peakHeap = base.heapUsed;
const sampler = setInterval(() => {
  const m = process.memoryUsage();
  peakRss = Math.max(peakRss, m.rss);
  peakHeap = Math.max(peakHeap, m.heapUsed);
}, 50);
const t0 = performance.now();
const run = await service.runOnce('default', day, new Date(day.getTime() + 86_400_000), null);
const seconds = (performance.now() - t0) / 1000;
clearInterval(sampler);
const mb = (n: number) => (n / 1048576).toFixed(0);
console.log(JSON.stringify({ database: db.kind, rows: ROWS, status: run?.status, error: run?.error, logsRead: run?.logsRead, matched: run?.matched, drift: run?.drift, missingUpstream: run?.missingUpstream, seconds: Number(seconds.toFixed(1)), rssBeforeMb: mb(base.rss), peakRssMb: mb(peakRss), heapBeforeMb: mb(base.heapUsed), peakHeapMb: mb(peakHeap) }));
await client.close();
await sim.close();
await db.close();
await fresh.cleanup();
