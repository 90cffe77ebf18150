// Reconciliation for accounts whose logs moved to the new system: the gateway's OpenTelemetry
// export pushes a span per request to POST /otlp/v1/traces (protobuf and JSON), each span naming
// its row by trace id. 1,000 real calls through the server to the simulator, whose exporter drops
// 2 spans, alters 3 and duplicates 5: spans are matched as they arrive, and the run after the lag
// ends 995 MATCHED, 3 DRIFT, 2 MISSING_UPSTREAM; duplicates change nothing. The receiver's
// bounds (401, 413, 400), and RECONCILE_SOURCE=both against the logs API on the same calls.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/platform/logger.ts';
import { EnvError, loadEnv } from '../../src/platform/env.ts';
import { restLogSource } from '../../src/domain/reconciliation/log-source.ts';
import { createReconciliationService } from '../../src/domain/reconciliation/reconciliation-service.ts';
import { combinedLogSource, otlpSpanSource } from '../../src/domain/reconciliation/span-source.ts';
import { createSpanIntake } from '../../src/domain/reconciliation/span-intake.ts';
import { createGatewayLogsClient } from '../../src/upstream/gateway-logs-client.ts';
import { createUserWithKey, startTestServer, type TestServer } from '../helpers/server.ts';

const TOKEN = 'otlp-test-token-0123456789abcdef';
const MAX_BODY = 256 * 1024;
const LAG_MS = 1_000;

let server: TestServer;
let user: { userId: string; key: string };
let start: Date;
const ids: string[] = [];
const MODELS = ['openai/gpt-5.5', 'anthropic/claude-sonnet-4-5', '@cf/moonshotai/kimi-k2.6', 'dynamic/support'];

const sim = () => server.app.simulator!;
const prisma = () => server.app.db.prisma;
const traces = () => `${server.url}/otlp/v1/traces`;
const idOfTrace = (t: string) => `${t.slice(0, 8)}-${t.slice(8, 12)}-${t.slice(12, 16)}-${t.slice(16, 20)}-${t.slice(20)}`;

async function states(): Promise<Record<string, number>> {
  const rows = await prisma().usageRecord.groupBy({ by: ['reconciliation'], where: { createdAt: { gte: start } }, _count: { _all: true } });
  return Object.fromEntries(rows.map((r) => [r.reconciliation, r._count._all]));
}

async function snapshot(): Promise<string> {
  const rows = await prisma().usageRecord.findMany({
    where: { createdAt: { gte: start } },
    select: { id: true, reconciliation: true, reconciledAt: true, upstreamTokensIn: true, upstreamTokensOut: true, upstreamCostUsd: true },
    orderBy: { id: 'asc' },
  });
  return JSON.stringify(rows);
}

beforeAll(async () => {
  server = await startTestServer({
    RECONCILE_SOURCE: 'otlp',
    RECONCILE_OTLP_TOKEN: TOKEN,
    RECONCILE_LAG_MS: String(LAG_MS),
    RECONCILE_OTLP_MAX_BODY_BYTES: String(MAX_BODY),
    RECONCILE_OTLP_MAX_REQUESTS_PER_SECOND: '1000',
  });
  user = await createUserWithKey(server, 'otlp@example.com');
  start = new Date(Date.now() - 1000);
  const exporter = sim().otlp;
  exporter.configure({ url: traces(), headers: { authorization: `Bearer ${TOKEN}` }, format: 'protobuf', lagMs: 1_500 });
  exporter.injectFault({ type: 'drop' }, { times: 2 });
  exporter.injectFault({ type: 'alter', tokensOut: 99_999 }, { times: 2 });
  exporter.injectFault({ type: 'alter', cost: 5 }, { times: 1 });
  exporter.injectFault({ type: 'duplicate' }, { times: 5 });
  const client = server.trpc(user.key);
  for (let i = 0; i < 1_000; i += 25) {
    // The second half of the spans leaves as OTLP/JSON.
    if (i === 500) exporter.configure({ url: traces(), headers: { authorization: `Bearer ${TOKEN}` }, format: 'json', lagMs: 1_500 });
    const batch = await Promise.all(Array.from({ length: 25 }, (_, j) => client.generate.mutate({ model: MODELS[(i + j) % MODELS.length]!, prompt: `call ${i + j} for the span export` })));
    ids.push(...batch.map((g) => g.id));
  }
  await exporter.idle();
}, 600_000);

afterAll(async () => {
  await server?.close();
});

describe('reconciliation by OpenTelemetry push', () => {
  it('spans are matched as they arrive: 995 MATCHED, 3 DRIFT; the 2 lost ones wait for the run', async () => {
    const exporter = sim().otlp;
    expect(ids).toHaveLength(1_000);
    expect([exporter.dropped.length, exporter.altered.length, exporter.duplicated.length]).toEqual([2, 3, 5]);
    expect(exporter.failures).toEqual([]);
    expect(exporter.posted).toBe(998 + 5);
    expect(await prisma().otlpSpan.count()).toBe(998);
    expect(await states()).toEqual({ MATCHED: 995, DRIFT: 3, UNCHECKED: 2 });
    for (const t of exporter.dropped) expect((await prisma().usageRecord.findUniqueOrThrow({ where: { id: idOfTrace(t) } })).reconciliation).toBe('UNCHECKED');
    const costAltered = await prisma().usageRecord.findUniqueOrThrow({ where: { id: idOfTrace(exporter.altered[2]!) } });
    expect(costAltered).toMatchObject({ reconciliation: 'DRIFT' });
    expect(costAltered.upstreamCostUsd!.toFixed()).toBe('5');
    const ok = await prisma().usageRecord.findUniqueOrThrow({ where: { id: ids[500]! } });
    expect(ok.reconciliation).toBe('MATCHED');
    expect(ok.upstreamTokensIn! + ok.upstreamTokensOut!).toBe(ok.totalTokens);
  });

  it('after the lag, reconcileUsage settles the range: 995 MATCHED, 3 DRIFT, 2 MISSING_UPSTREAM; duplicates changed nothing', async () => {
    await new Promise((r) => setTimeout(r, LAG_MS + 100));
    const res = await server.gql<{ reconcileUsage: Record<string, unknown> }>(
      'mutation($i: ReconcileUsageInput!) { reconcileUsage(input: $i) { status error logsRead matched drift missingUpstream missingLocal } }',
      { i: { from: start.toISOString(), to: new Date(Date.now() + 60_000).toISOString() } },
    );
    expect(res.errors).toBeUndefined();
    expect(res.data!.reconcileUsage).toEqual({ status: 'OK', error: null, logsRead: 998, matched: 995, drift: 3, missingUpstream: 2, missingLocal: 0 });
    expect(await states()).toEqual({ MATCHED: 995, DRIFT: 3, MISSING_UPSTREAM: 2 });
    for (const t of sim().otlp.dropped) expect((await prisma().usageRecord.findUniqueOrThrow({ where: { id: idOfTrace(t) } })).reconciliation).toBe('MISSING_UPSTREAM');
    for (const t of sim().otlp.duplicated) expect((await prisma().usageRecord.findUniqueOrThrow({ where: { id: idOfTrace(t) } })).reconciliation).toBe('MATCHED');

    // A duplicate with other figures (a replayed export) changes nothing: the first copy stands.
    const before = await snapshot();
    const trace = sim().otlp.duplicated[0]!;
    const replay = {
      resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: trace, spanId: 'aaaaaaaaaaaaaaaa', name: 'ai_gateway.request', startTimeUnixNano: String(Date.now() * 1e6), endTimeUnixNano: String(Date.now() * 1e6),
        attributes: [{ key: 'gen_ai.usage.input_tokens', value: { intValue: '1' } }, { key: 'gen_ai.usage.output_tokens', value: { intValue: '1' } }] }] }] }],
    };
    const posted = await fetch(traces(), { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, body: JSON.stringify(replay) });
    expect(posted.status).toBe(200);
    expect(await posted.json()).toEqual({});
    expect(await snapshot()).toBe(before);
    // And a second run changes nothing either.
    const again = await server.trpc().admin.reconcileUsage.mutate({ from: start, to: new Date(Date.now() + 60_000) });
    expect(again).toMatchObject({ status: 'OK', matched: 995, drift: 3, missingUpstream: 2 });
    expect(await snapshot()).toBe(before);
  }, 120_000);

  it('the receiver: 401 without the token or with another, 413 for an oversized body, 400 for a body that is not an export, 405 for GET', async () => {
    const body = JSON.stringify({ resourceSpans: [] });
    expect((await fetch(traces(), { method: 'POST', headers: { 'content-type': 'application/json' }, body })).status).toBe(401);
    expect((await fetch(traces(), { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}x` }, body })).status).toBe(401);
    expect((await fetch(traces(), { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${server.adminKey}` }, body })).status).toBe(401);
    const big = Buffer.alloc(MAX_BODY + 1, 0x20);
    expect((await fetch(traces(), { method: 'POST', headers: { 'content-type': 'application/x-protobuf', authorization: `Bearer ${TOKEN}` }, body: big })).status).toBe(413);
    // Without a Content-Length (chunked), the bound holds while reading.
    const chunked = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 5; i++) controller.enqueue(new Uint8Array(MAX_BODY / 4));
        controller.close();
      },
    });
    const streamed = await fetch(traces(), { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, body: chunked, duplex: 'half' } as RequestInit);
    expect(streamed.status).toBe(413);
    expect((await fetch(traces(), { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, body: '{"resourceSpans": 7}' })).status).toBe(400);
    expect((await fetch(traces(), { method: 'POST', headers: { 'content-type': 'application/x-protobuf', authorization: `Bearer ${TOKEN}` }, body: Buffer.from([0xff, 0xff, 0xff]) })).status).toBe(400);
    expect((await fetch(traces(), { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(405);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });

  it('RECONCILE_SOURCE: logs by default; otlp and both need RECONCILE_OTLP_TOKEN', () => {
    expect(loadEnv({}).RECONCILE_SOURCE).toBe('logs');
    expect(() => loadEnv({ RECONCILE_SOURCE: 'otlp' })).toThrow(EnvError);
    expect(() => loadEnv({ RECONCILE_SOURCE: 'both' })).toThrow(/RECONCILE_OTLP_TOKEN/);
    expect(() => loadEnv({ RECONCILE_SOURCE: 'sometimes', RECONCILE_OTLP_TOKEN: TOKEN })).toThrow(/RECONCILE_SOURCE/);
    expect(loadEnv({ RECONCILE_SOURCE: 'both', RECONCILE_OTLP_TOKEN: TOKEN }).RECONCILE_SOURCE).toBe('both');
  });

  it('RECONCILE_SOURCE=both agrees with the logs API on the same calls, and fills in from spans what the logs lost', async () => {
    const logsClient = createGatewayLogsClient({ baseUrl: sim().baseUrl, accountId: 'offline', apiToken: 'offline-simulator', timeoutMs: 10_000 });
    const base = { prisma: prisma(), db: server.app.db, defaultGatewayId: 'default', lagMs: 0, logger: createLogger('silent'), scopeOf: server.app.services.usage.scopeOf };
    const logs = restLogSource(logsClient);
    const viaLogs = createReconciliationService({ ...base, source: logs });
    const viaBoth = createReconciliationService({ ...base, source: combinedLogSource(logs, otlpSpanSource({ prisma: prisma(), defaultGatewayId: 'default' })) });
    const to = new Date(Date.now() + 60_000);
    try {
      const byLogs = await viaLogs.runOnce('default', start, to, null);
      expect(byLogs).toMatchObject({ status: 'OK', matched: 1_000, drift: 0, missingUpstream: 0, missingLocal: 0 });
      const afterLogs = await snapshot();
      const byBoth = await viaBoth.runOnce('default', start, to, null);
      expect(byBoth).toMatchObject({ status: 'OK', logsRead: 1_000, matched: 1_000, drift: 0, missingUpstream: 0, missingLocal: 0 });
      const states = (s: string) => (JSON.parse(s) as Array<{ id: string; reconciliation: string; upstreamTokensIn: number; upstreamTokensOut: number; upstreamCostUsd: string | null }>).map((r) => [r.id, r.reconciliation, r.upstreamTokensIn, r.upstreamTokensOut, r.upstreamCostUsd]);
      expect(states(await snapshot())).toEqual(states(afterLogs));

      // The logs API loses two logs: one whose span arrived, one whose span was lost too.
      const spanOnly = ids[100]!;
      const neither = idOfTrace(sim().otlp.dropped[0]!);
      expect(sim().logs.drop(spanOnly)).toBe(true);
      expect(sim().logs.drop(neither)).toBe(true);
      expect(await viaLogs.runOnce('default', start, to, null)).toMatchObject({ matched: 998, missingUpstream: 2 });
      expect(await viaBoth.runOnce('default', start, to, null)).toMatchObject({ logsRead: 999, matched: 999, missingUpstream: 1 });
      expect((await prisma().usageRecord.findUniqueOrThrow({ where: { id: spanOnly } })).reconciliation).toBe('MATCHED');
      expect((await prisma().usageRecord.findUniqueOrThrow({ where: { id: neither } })).reconciliation).toBe('MISSING_UPSTREAM');
    } finally {
      await logsClient.close();
    }
  }, 120_000);

  it('an INTERRUPTED row of a routed call takes the span\'s tokens, cost and served model (provider + bare name as a full id)', async () => {
    const id = crypto.randomUUID();
    await prisma().usageRecord.create({
      data: { id, callId: crypto.randomUUID(), userId: user.userId, requestedModel: 'dynamic/support', servedModel: 'dynamic/support', api: 'CHAT_COMPLETIONS', gatewayId: 'default', status: 'INTERRUPTED', latencyMs: 0, inputTokens: 10, outputTokens: 3, totalTokens: 13, usageEstimated: true },
    });
    const intake = createSpanIntake({ db: server.app.db });
    const span = { traceId: id.replaceAll('-', ''), spanId: 'a'.repeat(16), at: new Date(), model: 'claude-sonnet-4-5', provider: 'anthropic', tokensIn: 40, tokensOut: 60, costUsd: '0.0012', success: true, statusCode: 200, metadata: null };
    await intake.receive([span]);
    expect(await prisma().usageRecord.findUniqueOrThrow({ where: { id } })).toMatchObject({ servedModel: 'anthropic/claude-sonnet-4-5', inputTokens: 40, outputTokens: 60, totalTokens: 100, usageEstimated: false });
    // a span whose model is no model id leaves the served model as it was
    const other = crypto.randomUUID();
    await prisma().usageRecord.create({
      data: { id: other, callId: crypto.randomUUID(), userId: user.userId, requestedModel: 'dynamic/support', servedModel: 'dynamic/support', api: 'CHAT_COMPLETIONS', gatewayId: 'default', status: 'INTERRUPTED', latencyMs: 0, usageEstimated: true },
    });
    await intake.receive([{ ...span, traceId: other.replaceAll('-', ''), model: 'not a model id' }]);
    expect(await prisma().usageRecord.findUniqueOrThrow({ where: { id: other } })).toMatchObject({ servedModel: 'dynamic/support', totalTokens: 100, usageEstimated: false });
  });
});
