// Reconciliation against the simulator, beyond reconciliation.test.ts: the metrics of the last
// run (time, drift), a Cloudflare 5xx on the logs API (the run fails cleanly, the next succeeds)
// and a log that carries no event id, matched to its row by cf-aig-log-id. A few real calls
// through the real server plus 110 invented logs (three pages of 50), the simulator as Cloudflare.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dec } from '../../src/domain/pricing/pricing.ts';
import { createUserWithKey, startTestServer, type TestServer } from '../helpers/server.ts';

let server: TestServer;
let user: { userId: string; key: string };
let start: Date;
/** The calls' generation (= row = event) ids: 0, 2, 4 on the priced kimi model, 1, 3, 5 on openai/gpt-5.5. */
const ids: string[] = [];
const INVENTED = 110;

interface Run {
  id: string;
  status: 'OK' | 'FAILED';
  error: string | null;
  finishedAt: string;
  logsRead: number;
  matched: number;
  drift: number;
  missingUpstream: number;
  missingLocal: number;
  driftUsd: string | null;
}

beforeAll(async () => {
  server = await startTestServer({ RECONCILE_LAG_MS: '0' });
  user = await createUserWithKey(server, 'recon-outcomes@example.com');
  start = new Date(Date.now() - 1000);
  const client = server.trpc(user.key);
  for (let i = 0; i < 6; i++) ids.push((await client.generate.mutate({ model: i % 2 ? 'openai/gpt-5.5' : '@cf/moonshotai/kimi-k2.6', prompt: `reconcile me ${i}` })).id);
  // Logs no row has (MISSING_LOCAL), so a run reads three pages.
  for (let i = 0; i < INVENTED; i++) sim().logs.invent('default', { created_at: new Date(start.getTime() + 100 + i).toISOString() });
}, 120_000);

afterAll(async () => {
  await server?.close();
});

const sim = () => server.app.simulator!;
const prisma = () => server.app.db.prisma;
const range = () => ({ from: start.toISOString(), to: new Date(Date.now() + 60_000).toISOString() });

async function reconcile(): Promise<Run> {
  const res = await server.gql<{ reconcileUsage: Run }>(
    'mutation($i: ReconcileUsageInput!) { reconcileUsage(input: $i) { id status error finishedAt logsRead matched drift missingUpstream missingLocal driftUsd } }',
    { i: range() },
  );
  expect(res.errors).toBeUndefined();
  return res.data!.reconcileUsage;
}

/** The value of an unlabelled series in /metrics. */
async function metric(name: string): Promise<number> {
  const text = await fetch(`${server.url}/metrics`).then((r) => r.text());
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  if (!line) throw new Error(`${name} not in /metrics`);
  return Number(line.slice(name.length + 1));
}

async function snapshot() {
  const rows = await prisma().usageRecord.findMany({
    where: { createdAt: { gte: start } },
    select: { id: true, reconciliation: true, reconciledAt: true, upstreamTokensIn: true, upstreamTokensOut: true, upstreamCostUsd: true, upstreamSuccess: true, upstreamStatusCode: true, totalTokens: true, costUsd: true, usageEstimated: true },
    orderBy: { id: 'asc' },
  });
  const missingLocal = await prisma().missingLocalLog.findMany({ orderBy: { logId: 'asc' } });
  return JSON.stringify({ rows, missingLocal: missingLocal.map((m) => m.logId) });
}

const row = (id: string) => prisma().usageRecord.findUniqueOrThrow({ where: { id } });

describe('reconciliation run outcomes', () => {
  it("after a run, the metrics carry that run's finish time and drift in dollars", async () => {
    expect(await metric('switchboard_reconcile_last_run_ok')).toBe(-1);
    expect(await metric('switchboard_reconcile_last_run_timestamp_seconds')).toBe(0);
    const ours = (await row(ids[0]!)).costUsd;
    expect(ours).not.toBeNull(); // kimi is priced, so its cost drift counts in dollars
    expect(sim().logs.alter(ids[0]!, { cost: 0.25 })).toBe(true);

    const run = await reconcile();
    expect(run).toMatchObject({ status: 'OK', error: null, logsRead: 6 + INVENTED, matched: 5, drift: 1, missingUpstream: 0, missingLocal: INVENTED });
    // The drift, computed independently from the rows: Cloudflare's cost minus ours over DRIFT rows.
    const driftRows = await prisma().usageRecord.findMany({ where: { createdAt: { gte: start }, reconciliation: 'DRIFT' } });
    const drift = driftRows.reduce((a, r) => a.plus(r.upstreamCostUsd!.toString()).minus(r.costUsd!.toString()), new Dec(0));
    expect(drift.eq(new Dec('0.25').minus(ours!.toString()))).toBe(true);
    expect(new Dec(run.driftUsd!).eq(drift)).toBe(true);

    expect(await metric('switchboard_reconcile_last_run_ok')).toBe(1);
    expect(await metric('switchboard_reconcile_last_run_timestamp_seconds')).toBe(Date.parse(run.finishedAt) / 1000);
    expect(await metric('switchboard_reconcile_last_run_drift_usd')).toBe(drift.toNumber());
  }, 60_000);

  it.each([500, 502, 503] as const)('a Cloudflare %s on page 3 fails the run cleanly (ledger untouched); the next run succeeds', async (status) => {
    const lastOk = await reconcile();
    expect(lastOk.status).toBe('OK');
    const ours = (await row(ids[1]!)).outputTokens;
    sim().logs.alter(ids[1]!, { tokens_out: ours + 7 }); // a change the failed run must not apply
    const before = await snapshot();
    sim().logs.injectFault(status, { after: 2 });

    const failed = await reconcile();
    expect(failed.status).toBe('FAILED');
    expect(failed.error).toBe(`the Cloudflare logs API failed (HTTP ${status})`);
    expect(failed.error).not.toMatch(/offline-simulator|offline\b/);
    expect(await snapshot()).toBe(before);
    expect(await prisma().reconcileStagedLog.count()).toBe(0);
    expect(await prisma().reconcileRun.count({ where: { status: 'RUNNING' } })).toBe(0);
    // The metrics: the last run failed, at its own time; the drift is still the last OK run's.
    expect(await metric('switchboard_reconcile_last_run_ok')).toBe(0);
    expect(await metric('switchboard_reconcile_last_run_timestamp_seconds')).toBe(Date.parse(failed.finishedAt) / 1000);
    expect(await metric('switchboard_reconcile_last_run_drift_usd')).toBe(Number(lastOk.driftUsd));

    const next = await reconcile();
    expect(next).toMatchObject({ status: 'OK', drift: 2, matched: 4 });
    expect(await row(ids[1]!)).toMatchObject({ reconciliation: 'DRIFT', upstreamTokensOut: ours + 7 });
    sim().logs.alter(ids[1]!, { tokens_out: ours });
    expect(await reconcile()).toMatchObject({ status: 'OK', drift: 1, matched: 5 });
    expect((await row(ids[1]!)).reconciliation).toBe('MATCHED');
  }, 60_000);

  it('a log without an event id is matched to its row by cf-aig-log-id', async () => {
    const fresh = [
      (await server.trpc(user.key).generate.mutate({ model: 'openai/gpt-5.5', prompt: 'matched by log id' })).id,
      (await server.trpc(user.key).chat.mutate({ model: '@cf/moonshotai/kimi-k2.6', message: 'drifting, matched by log id' })).generation.id,
    ];
    sim().logs.reportEventId = false;
    try {
      // The logs API now serves no event id at all (the documented Log type has none).
      const res = await fetch(`${sim().baseUrl}/accounts/offline/ai-gateway/gateways/default/logs?per_page=50&order_by_direction=desc`, { headers: { authorization: 'Bearer x' } });
      const listed = ((await res.json()) as { result: Array<Record<string, unknown>> }).result;
      expect(listed.length).toBeGreaterThan(0);
      expect(listed.every((l) => !('event_id' in l))).toBe(true);

      const logOf = (id: string) => sim().logs.all('default').find((l) => l.event_id === id)!;
      for (const id of fresh) expect((await row(id)).upstreamLogId).toBe(logOf(id).id);
      const ours = (await row(fresh[1]!)).outputTokens;
      expect(sim().logs.alter(fresh[1]!, { tokens_out: ours + 3 })).toBe(true);
      const stray = sim().logs.invent('default', { created_at: new Date().toISOString() });

      const run = await reconcile();
      // Every row, the earlier ones too, is found by its log id; the stray log has no row.
      expect(run).toMatchObject({ status: 'OK', logsRead: 8 + INVENTED + 1, matched: 6, drift: 2, missingUpstream: 0, missingLocal: INVENTED + 1 });
      const matched = await row(fresh[0]!);
      expect(matched).toMatchObject({ reconciliation: 'MATCHED', upstreamSuccess: true, upstreamStatusCode: 200 });
      expect(matched.upstreamTokensIn! + matched.upstreamTokensOut!).toBe(matched.totalTokens);
      expect(await row(fresh[1]!)).toMatchObject({ reconciliation: 'DRIFT', upstreamTokensOut: ours + 3 });
      expect(await prisma().missingLocalLog.findUnique({ where: { logId: stray.id } })).toMatchObject({ gatewayId: 'default', eventId: null });
    } finally {
      sim().logs.reportEventId = true;
    }
  }, 60_000);
});
