// Reconciliation against the simulator's gateway logs: every state, idempotence, the lag,
// INTERRUPTED rows taking Cloudflare's tokens, clean failures (401, 429, malformed page) and the
// run lock between instances. Real calls through the real server; the simulator as Cloudflare.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/platform/logger.ts';
import { restLogSource, type LogSource } from '../../src/domain/reconciliation/log-source.ts';
import { createReconciliationService } from '../../src/domain/reconciliation/reconciliation-service.ts';
import { createGatewayLogsClient } from '../../src/upstream/gateway-logs-client.ts';
import { uuidv7 } from '../../src/platform/ids.ts';
import { normalizeDecimal } from '../../src/domain/pricing/pricing.ts';
import { createUserWithKey, startTestServer, type TestServer } from '../helpers/server.ts';

let server: TestServer;
let user: { userId: string; key: string };
let start: Date;
const ids: string[] = [];

const MODELS = ['@cf/moonshotai/kimi-k2.6', 'openai/gpt-5.5', 'anthropic/claude-sonnet-4-5', 'google/gemini-3-flash'];

beforeAll(async () => {
  server = await startTestServer({ RECONCILE_LAG_MS: '0' });
  user = await createUserWithKey(server, 'recon@example.com');
  start = new Date(Date.now() - 1000);
  const client = server.trpc(user.key);
  // 999 real calls through Switchboard to the simulator, 27 at a time; the 1,000th request is the
  // invented log (a call whose row never reached the ledger, as a crash before the insert leaves).
  for (let i = 0; i < 999; i += 27) {
    const batch = await Promise.all(
      Array.from({ length: 27 }, (_, j) => client.generate.mutate({ model: MODELS[(i + j) % MODELS.length]!, prompt: `call number ${i + j} with a few words` })),
    );
    ids.push(...batch.map((g) => g.id));
  }
}, 300_000);

afterAll(async () => {
  await server?.close();
});

const sim = () => server.app.simulator!;
const prisma = () => server.app.db.prisma;
const range = () => ({ from: start.toISOString(), to: new Date(Date.now() + 60_000).toISOString() });

async function snapshot() {
  const rows = await prisma().usageRecord.findMany({
    where: { createdAt: { gte: start } },
    select: { id: true, reconciliation: true, reconciledAt: true, upstreamTokensIn: true, upstreamTokensOut: true, upstreamCostUsd: true, upstreamSuccess: true, upstreamStatusCode: true, totalTokens: true, costUsd: true, usageEstimated: true },
    orderBy: { id: 'asc' },
  });
  const missingLocal = await prisma().missingLocalLog.findMany({ orderBy: { logId: 'asc' } });
  return JSON.stringify({ rows, missingLocal: missingLocal.map((m) => m.logId) });
}

describe('reconciliation against the simulator', () => {
  it('1,000 requests (999 calls + 1 log without a row), 3 altered, 2 dropped, 1 invented: 994 MATCHED, 3 DRIFT, 2 MISSING_UPSTREAM, 1 MISSING_LOCAL', async () => {
    expect(ids).toHaveLength(999);
    expect(sim().logs.all('default').length).toBe(999);
    expect(sim().logs.alter(ids[10]!, { tokens_out: 999 })).toBe(true);
    expect(sim().logs.alter(ids[20]!, { tokens_in: 1 })).toBe(true);
    expect(sim().logs.alter(ids[30]!, { cost: 5 })).toBe(true); // ids[30] is a priced kimi call (30 % 4 = 2: claude, priced too)
    expect(sim().logs.drop(ids[40]!)).toBe(true);
    expect(sim().logs.drop(ids[50]!)).toBe(true);
    const invented = sim().logs.invent('default', { created_at: new Date(start.getTime() + 500).toISOString(), cost: 0.25 });

    const res = await server.gql<{ reconcileUsage: Record<string, unknown> }>(
      'mutation($i: ReconcileUsageInput!) { reconcileUsage(input: $i) { id status error logsRead matched drift missingUpstream missingLocal driftUsd } }',
      { i: range() },
    );
    expect(res.errors).toBeUndefined();
    expect(res.data!.reconcileUsage).toMatchObject({ status: 'OK', error: null, logsRead: 998, matched: 994, drift: 3, missingUpstream: 2, missingLocal: 1 });

    const row = (id: string) => prisma().usageRecord.findUniqueOrThrow({ where: { id } });
    expect((await row(ids[10]!)).reconciliation).toBe('DRIFT');
    expect((await row(ids[30]!)).upstreamCostUsd!.toFixed()).toBe('5');
    expect((await row(ids[40]!)).reconciliation).toBe('MISSING_UPSTREAM');
    const ok = await row(ids[0]!);
    expect(ok).toMatchObject({ reconciliation: 'MATCHED', upstreamSuccess: true, upstreamStatusCode: 200 });
    expect(ok.upstreamTokensIn! + ok.upstreamTokensOut!).toBe(ok.totalTokens);
    expect(await prisma().missingLocalLog.findUnique({ where: { logId: invented.id } })).toMatchObject({ gatewayId: 'default', eventId: invented.event_id });

    // The report, over tRPC: counts per state; MISSING_LOCAL only over every user.
    const report = await server.trpc().usage.reconciliation.query({ ...range(), allUsers: true, from: start, to: new Date(Date.now() + 60_000) });
    const by = Object.fromEntries(report.byState.map((s) => [s.state, s.requests]));
    expect(by).toMatchObject({ MATCHED: 994, DRIFT: 3, MISSING_UPSTREAM: 2, MISSING_LOCAL: 1, UNCHECKED: 0 });
    expect(report.lastRun).toMatchObject({ status: 'OK', matched: 994 });
    expect(Number(report.driftUsd)).toBeGreaterThan(4.9);
    const own = await server.trpc(user.key).usage.reconciliation.query({ from: start, to: new Date(Date.now() + 60_000) });
    expect(own.byState.find((s) => s.state === 'MISSING_LOCAL')!.requests).toBe(0);
    expect(own.byState.find((s) => s.state === 'MATCHED')!.requests).toBe(994);
  }, 120_000);

  it('a second run changes nothing', async () => {
    const before = await snapshot();
    const run = await server.trpc().admin.reconcileUsage.mutate({ from: start, to: new Date(Date.now() + 60_000) });
    expect(run).toMatchObject({ status: 'OK', matched: 994, drift: 3, missingUpstream: 2, missingLocal: 1 });
    expect(await snapshot()).toBe(before);
    expect(await prisma().reconcileStagedLog.count()).toBe(0);
  }, 60_000);

  it('over whole UTC days the report reads the daily roll-up, which followed every state change: it equals the ledger', async () => {
    const DAY = 86_400_000;
    const from = new Date(Math.floor(start.getTime() / DAY) * DAY);
    const to = new Date(Math.floor(Date.now() / DAY) * DAY + DAY);
    const report = await server.trpc().usage.reconciliation.query({ from, to, allUsers: true });
    const ledger = await prisma().$queryRawUnsafe<Array<{ state: string; requests: number; costUsd: string | null; upstreamCostUsd: string | null; driftUsd: string | null }>>(
      `SELECT "reconciliation"::text AS "state", count(*)::int AS "requests", sum("costUsd")::text AS "costUsd", sum("upstreamCostUsd")::text AS "upstreamCostUsd",
              sum("upstreamCostUsd" - "costUsd") FILTER (WHERE "reconciliation" = 'DRIFT')::text AS "driftUsd"
       FROM "UsageRecord" WHERE "createdAt" >= $1::timestamptz AND "createdAt" < $2::timestamptz GROUP BY 1`,
      from.toISOString(),
      to.toISOString(),
    );
    const dec = (v: string | null) => (v === null ? null : normalizeDecimal(v));
    const rowStates = report.byState.filter((s) => s.state !== 'MISSING_LOCAL' && s.requests > 0);
    expect(rowStates.map((s) => ({ ...s, costUsd: dec(s.costUsd), upstreamCostUsd: dec(s.upstreamCostUsd) })).sort((a, b) => a.state.localeCompare(b.state))).toEqual(
      ledger.map((l) => ({ state: l.state, requests: l.requests, costUsd: dec(l.costUsd), upstreamCostUsd: dec(l.upstreamCostUsd) })).sort((a, b) => a.state.localeCompare(b.state)),
    );
    expect(Object.fromEntries(rowStates.map((s) => [s.state, s.requests]))).toEqual({ MATCHED: 994, DRIFT: 3, MISSING_UPSTREAM: 2 });
    expect(report.driftUsd).toBe(normalizeDecimal(ledger.find((l) => l.state === 'DRIFT')!.driftUsd!));
    expect(Number(report.driftUsd)).toBeGreaterThan(4.9);
  });

  it.each([
    [401, /refused the API token.*401/],
    [429, /rate-limited.*429/],
    ['malformed', /malformed logs page 3/],
  ] as const)('a %s on page 3 fails the run cleanly; the next run succeeds', async (fault, reason) => {
    sim().logs.alter(ids[60]!, { tokens_out: 12345 }); // a change the failed run must not apply
    const before = await snapshot();
    sim().logs.injectFault(fault, { after: 2 });
    const failed = await server.trpc().admin.reconcileUsage.mutate({ from: start, to: new Date(Date.now() + 60_000) });
    expect(failed.status).toBe('FAILED');
    expect(failed.error).toMatch(reason);
    expect(failed.error).not.toMatch(/offline-simulator/);
    expect(await snapshot()).toBe(before);
    expect(await prisma().reconcileStagedLog.count()).toBe(0);
    const metrics = await fetch(`${server.url}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(/switchboard_reconcile_last_run_ok 0/);

    const next = await server.trpc().admin.reconcileUsage.mutate({ from: start, to: new Date(Date.now() + 60_000) });
    expect(next.status).toBe('OK');
    expect((await prisma().usageRecord.findUniqueOrThrow({ where: { id: ids[60]! } })).reconciliation).toBe('DRIFT');
    sim().logs.alter(ids[60]!, { tokens_out: (await prisma().usageRecord.findUniqueOrThrow({ where: { id: ids[60]! } })).outputTokens });
    const back = await server.trpc().admin.reconcileUsage.mutate({ from: start, to: new Date(Date.now() + 60_000) });
    expect(back).toMatchObject({ status: 'OK', matched: 994, drift: 3 });
    const after = await fetch(`${server.url}/metrics`).then((r) => r.text());
    expect(after).toMatch(/switchboard_reconcile_last_run_ok 1/);
    expect(after).toMatch(/switchboard_reconcile_last_run_rows\{state="DRIFT"\} 3/);
  }, 60_000);

  it('a crash-interrupted row found in the logs takes Cloudflare\'s exact tokens and cost', async () => {
    const id = uuidv7();
    const createdAt = new Date(start.getTime() + 200);
    await prisma().usageRecord.create({
      data: {
        id, callId: id, userId: user.userId, requestedModel: 'openai/gpt-5.5', api: 'CHAT_COMPLETIONS', gatewayId: 'default', status: 'INTERRUPTED',
        inputTokens: 400, outputTokens: 90, totalTokens: 490, costUsd: '0.0047', usageEstimated: true, latencyMs: 0, createdAt,
      },
    });
    sim().logs.invent('default', { event_id: id, created_at: new Date(createdAt.getTime() + 5).toISOString(), tokens_in: 377, tokens_out: 61, cost: 0.0036655 });
    const run = await server.trpc().admin.reconcileUsage.mutate({ from: start, to: new Date(Date.now() + 60_000) });
    expect(run.status).toBe('OK');
    const row = await prisma().usageRecord.findUniqueOrThrow({ where: { id } });
    expect(row).toMatchObject({ status: 'INTERRUPTED', usageEstimated: false, inputTokens: 377, outputTokens: 61, totalTokens: 438, reconciliation: 'MATCHED', upstreamTokensIn: 377, upstreamTokensOut: 61 });
    expect(row.costUsd!.toFixed()).toBe('0.0036655');
  }, 60_000);

  it('rows inside the lag stay UNCHECKED; older rows are checked', async () => {
    const old = uuidv7();
    await prisma().usageRecord.create({
      data: { id: old, callId: old, userId: user.userId, requestedModel: 'openai/gpt-5.5', api: 'CHAT_COMPLETIONS', gatewayId: 'default', status: 'OK', latencyMs: 1, createdAt: new Date(Date.now() - 3 * 3_600_000) },
    });
    const fresh = await server.trpc(user.key).generate.mutate({ model: 'openai/gpt-5.5', prompt: 'too fresh to check' });
    const lagged = createReconciliationService({
      prisma: prisma(), db: server.app.db, defaultGatewayId: 'default', lagMs: 3_600_000, logger: createLogger('silent'),
      source: restLogSource(createGatewayLogsClient({ baseUrl: sim().baseUrl, accountId: 'offline', apiToken: 'x', timeoutMs: 10_000 })),
      scopeOf: async () => null,
    });
    const run = await lagged.runOnce('default', new Date(Date.now() - 4 * 3_600_000), new Date(Date.now() + 60_000), null);
    expect(run).toMatchObject({ status: 'OK', missingUpstream: 1, matched: 0 });
    expect(run!.to.getTime()).toBeLessThan(Date.now() - 3_500_000);
    expect((await prisma().usageRecord.findUniqueOrThrow({ where: { id: fresh.id } })).reconciliation).toBe('UNCHECKED');
    expect((await prisma().usageRecord.findUniqueOrThrow({ where: { id: old } })).reconciliation).toBe('MISSING_UPSTREAM');
  }, 60_000);

  it('two instances with the periodic run on never reconcile the same gateway at the same time', async () => {
    const slow = (inner: LogSource): LogSource => ({
      async *pages(r, signal) {
        for await (const page of inner.pages(r, signal)) {
          await new Promise((resolve) => setTimeout(resolve, 20));
          yield page;
        }
      },
    });
    const make = () =>
      createReconciliationService({
        prisma: prisma(), db: server.app.db, defaultGatewayId: 'default', lagMs: 0, logger: createLogger('silent'),
        source: slow(restLogSource(createGatewayLogsClient({ baseUrl: sim().baseUrl, accountId: 'offline', apiToken: 'x', timeoutMs: 10_000 }))),
        scopeOf: async () => null,
      });
    const a = make();
    const b = make();
    // Explicit concurrent runs: one wins the lock, the other is refused.
    const both = await Promise.all([a.runOnce('default', start, new Date(), null), b.runOnce('default', start, new Date(), null)]);
    expect(both.filter((r) => r === undefined)).toHaveLength(1);
    const since = new Date();
    a.start(30);
    b.start(30);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    await Promise.all([a.stop(), b.stop()]);
    const runs = await prisma().reconcileRun.findMany({ where: { gatewayId: 'default', startedAt: { gte: since } }, orderBy: { startedAt: 'asc' } });
    expect(runs.length).toBeGreaterThan(0);
    for (let i = 1; i < runs.length; i++) {
      expect(runs[i]!.startedAt.getTime()).toBeGreaterThanOrEqual(runs[i - 1]!.finishedAt!.getTime());
    }
    expect(runs.every((r) => r.status !== 'RUNNING')).toBe(true);
  }, 60_000);
});
