// The model that served a call: dynamic routes and the Auto Router name it in response headers;
// the ledger records both models, prices the served one, reports group both ways, a key's
// allow-list is checked on the served model before any output reaches the caller, and a chat
// sends its conversation id as cf-aig-session-id. Real server, real clients, the simulator.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectTrpc, trpcHttp } from '../helpers/clients.ts';
import { createUserWithKey, startTestServer, type TestServer } from '../helpers/server.ts';
import { MESSAGE_ALLOWANCE_TOKENS, REQUEST_ALLOWANCE_TOKENS, worstCaseCost } from '../../src/domain/limits/reservation-bound.ts';

let server: TestServer;
let user: { userId: string; key: string };
let start: Date;

beforeAll(async () => {
  server = await startTestServer();
  user = await createUserWithKey(server, 'routes@example.com');
  start = new Date(Date.now() - 1000);
}, 60_000);

afterAll(async () => {
  await server?.close();
});

const sim = () => server.app.simulator!;
const prisma = () => server.app.db.prisma;
const GENERATE = `mutation($i: GenerateInput!) { generate(input: $i) { id model servedModel cacheHit usage { costUsd inputTokens outputTokens } } }`;

describe('the served model', () => {
  it('a dynamic/support call served by anthropic/... and a cloudflare/auto call: both models recorded, priced by the served one', async () => {
    const routed = await server.gql<{ generate: { id: string; model: string; servedModel: string; usage: { costUsd: string | null } } }>(GENERATE, { i: { model: 'dynamic/support', prompt: 'my order is late' } }, user.key);
    expect(routed.errors).toBeUndefined();
    expect(routed.data!.generate).toMatchObject({ model: 'dynamic/support', servedModel: 'anthropic/claude-sonnet-4-5', cacheHit: false });
    // The reply body names the model its own way ("claude-sonnet-4-5"): never the served model.
    const request = sim().requests.find((r) => r.headers['cf-aig-event-id'] === routed.data!.generate.id)!;
    expect((request.body as { model: string }).model).toBe('dynamic/support');

    const auto = await server.trpc(user.key).generate.mutate({ model: 'cloudflare/auto', prompt: 'pick one for me' });
    expect(auto).toMatchObject({ model: 'cloudflare/auto', servedModel: 'openai/gpt-5.4-mini' });

    for (const [id, served] of [[routed.data!.generate.id, 'anthropic/claude-sonnet-4-5'], [auto.id, 'openai/gpt-5.4-mini']] as const) {
      const row = await prisma().usageRecord.findUniqueOrThrow({ where: { id } });
      expect(row.servedModel).toBe(served);
      // The requested names have no price: the cost is the served model's, exactly.
      const usage = { inputTokens: row.inputTokens, outputTokens: row.outputTokens, cachedInputTokens: row.cachedInputTokens, cacheWriteTokens: row.cacheWriteTokens, reasoningTokens: row.reasoningTokens, totalTokens: row.totalTokens };
      const expected = server.app.services.pricing.costOf(served, usage, row.createdAt);
      expect(expected.costUsd).not.toBeNull();
      expect(row.costUsd!.toFixed()).toBe(expected.costUsd);
      expect(row.priceVersionId).toBe(expected.priceVersionId);
      expect(server.app.services.pricing.costOf(row.requestedModel, usage, row.createdAt).costUsd).toBeNull();
    }
    const [sql] = await prisma().$queryRawUnsafe<Array<{ model: string; requested_model: string; served_model: string }>>(
      `SELECT model, requested_model, served_model FROM reporting.usage WHERE id = $1::uuid`,
      routed.data!.generate.id,
    );
    expect(sql).toEqual({ model: 'anthropic/claude-sonnet-4-5', requested_model: 'dynamic/support', served_model: 'anthropic/claude-sonnet-4-5' });
  });

  it('a streamed routed call records the served model too', async () => {
    const events = await collectTrpc<{ type: string; generation?: { servedModel: string; model: string } }>((h) =>
      trpcHttp(server.url, user.key).generateStream.subscribe({ model: 'dynamic/support', prompt: 'stream it please' }, h),
    );
    const done = events.find((e) => e.type === 'completed')!;
    expect(done.generation).toMatchObject({ model: 'dynamic/support', servedModel: 'anthropic/claude-sonnet-4-5' });
  });

  it('reports: MODEL groups by the served model, REQUESTED_MODEL by the requested one (GraphQL and tRPC)', async () => {
    await server.trpc(user.key).generate.mutate({ model: 'anthropic/claude-sonnet-4-5', prompt: 'named directly' });
    const to = new Date(Date.now() + 60_000);
    const byServed = await server.gql<{ usageReport: { rows: Array<{ model: string; requestedModel: string | null; requests: number }> } }>(
      `query($i: UsageReportInput!) { usageReport(input: $i) { rows { model requestedModel requests } } }`,
      { i: { from: start.toISOString(), to: to.toISOString(), groupBy: ['MODEL'] } },
      user.key,
    );
    expect(byServed.errors).toBeUndefined();
    expect(byServed.data!.usageReport.rows).toEqual([
      { model: 'anthropic/claude-sonnet-4-5', requestedModel: null, requests: 3 },
      { model: 'openai/gpt-5.4-mini', requestedModel: null, requests: 1 },
    ]);
    const both = await server.trpc(user.key).usage.report.query({ from: start, to, groupBy: ['REQUESTED_MODEL', 'MODEL'] });
    expect(both.rows.map((r) => [r.requestedModel, r.model, r.requests])).toEqual([
      ['anthropic/claude-sonnet-4-5', 'anthropic/claude-sonnet-4-5', 1],
      ['cloudflare/auto', 'openai/gpt-5.4-mini', 1],
      ['dynamic/support', 'anthropic/claude-sonnet-4-5', 2],
    ]);
    // The model filter takes either name.
    const filtered = await server.trpc(user.key).usage.report.query({ from: start, to, groupBy: [], model: 'dynamic/support' });
    expect(filtered.totals.requests).toBe(2);
  });

  it('allowedModels: checked on the requested name at the door, and on the served model before any output; the refusal is recorded', async () => {
    const admin = server.trpc();
    const routeOnly = await admin.admin.createApiKey.mutate({ userId: user.userId, name: 'route only', allowedModels: ['dynamic/support'] });
    const before = sim().requests.length;
    const refused = await server.gql<{ generate: unknown }>(GENERATE, { i: { model: 'dynamic/support', prompt: 'route me somewhere' } }, routeOnly.secret);
    expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(refused.errors?.[0]?.message).toMatch(/anthropic\/claude-sonnet-4-5/);
    expect(sim().requests.length).toBe(before + 1); // it went upstream once (routing happens there), not retried
    const rows = await prisma().usageRecord.findMany({ where: { apiKeyId: routeOnly.apiKey.id } });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: 'ERROR', errorCode: 'FORBIDDEN', requestedModel: 'dynamic/support', servedModel: 'anthropic/claude-sonnet-4-5' });

    // Streamed: the refusal comes before any delta.
    const events: Array<{ type: string }> = [];
    const error = await collectTrpc<{ type: string }>((h) => trpcHttp(server.url, routeOnly.secret).generateStream.subscribe({ model: 'dynamic/support', prompt: 'stream me' }, { ...h, onData: (d) => { events.push(d); h.onData(d); } })).catch((e: unknown) => e);
    expect(error).toMatchObject({ data: { appCode: 'FORBIDDEN' } });
    expect(events.filter((e) => e.type === 'delta')).toHaveLength(0);
    expect(await prisma().usageRecord.count({ where: { apiKeyId: routeOnly.apiKey.id, errorCode: 'FORBIDDEN', streamed: true } })).toBe(1);

    // At the door: a key that may not name the route never reaches upstream, and leaves no row.
    const other = await admin.admin.createApiKey.mutate({ userId: user.userId, name: 'gpt only', allowedModels: ['openai/gpt-5.5'] });
    const count = sim().requests.length;
    await expect(server.trpc(other.secret).generate.mutate({ model: 'dynamic/support', prompt: 'nope' })).rejects.toMatchObject({ data: { appCode: 'FORBIDDEN' } });
    expect(sim().requests.length).toBe(count);
    expect(await prisma().usageRecord.count({ where: { apiKeyId: other.apiKey.id } })).toBe(0);

    // A key allowed both the route and what it serves passes.
    const both = await admin.admin.createApiKey.mutate({ userId: user.userId, name: 'route and model', allowedModels: ['dynamic/support', 'anthropic/claude-sonnet-4-5'] });
    await expect(server.trpc(both.secret).generate.mutate({ model: 'dynamic/support', prompt: 'fine' })).resolves.toMatchObject({ servedModel: 'anthropic/claude-sonnet-4-5' });
  });

  it('a route under a USD budget is bounded by the dearest model it may pick (the key\'s allow-list, else every priced text model), not refused as unpriced', async () => {
    const budgeted = await createUserWithKey(server, 'routes-budget@example.com');
    const pricing = server.app.services.pricing.pricing;
    const prompt = 'route me within budget';
    const inputBound = REQUEST_ALLOWANCE_TOKENS + MESSAGE_ALLOWANCE_TOKENS + Buffer.byteLength(prompt);
    const worstAt = (model: string) => Number(worstCaseCost(pricing, model, inputBound, 100, new Date()).costUsd);
    const dearest = Math.max(...pricing.pricedTextModels!().map(worstAt));
    const mini = worstAt('openai/gpt-5.4-mini');
    expect(dearest).toBeGreaterThan(mini * 2);
    // A budget between the two: the allow-listed key (auto may only pick gpt-5.4-mini) fits, any model does not.
    await server.trpc().admin.setUserLimits.mutate({ userId: budgeted.userId, monthlyBudgetUsd: ((mini + dearest) / 2).toFixed(10) });
    const open = server.trpc(budgeted.key);
    for (const model of ['cloudflare/auto', 'dynamic/support']) {
      const refused = await open.generate.mutate({ model, prompt, maxTokens: 100 }).then(() => undefined, (e: { data?: { appCode?: string } }) => e.data?.appCode);
      expect(refused, model).toBe('BUDGET_EXCEEDED');
    }
    const narrow = await server.trpc().admin.createApiKey.mutate({ userId: budgeted.userId, name: 'mini only', allowedModels: ['cloudflare/auto', 'openai/gpt-5.4-mini'] });
    const served = await server.trpc(narrow.secret).generate.mutate({ model: 'cloudflare/auto', prompt, maxTokens: 100 });
    expect(served.servedModel).toBe('openai/gpt-5.4-mini');
    // Settlement charges the served model's price, not the bound.
    const row = await prisma().usageRecord.findUniqueOrThrow({ where: { id: served.id } });
    expect(Number(row.costUsd)).toBeLessThanOrEqual(mini);
    expect(Number(row.costUsd)).toBeGreaterThan(0);
  });

  it('a chat sends cf-aig-session-id = its conversation id; every call sends cf-aig-otel-trace-id = its row id as 32 hex digits', async () => {
    const chat = await server.trpc(user.key).chat.mutate({ model: 'cloudflare/auto', message: 'hello router' });
    const request = sim().requests.find((r) => r.headers['cf-aig-event-id'] === chat.generation.id)!;
    expect(request.headers['cf-aig-session-id']).toBe(chat.conversation.id);
    expect(request.headers['cf-aig-otel-trace-id']).toBe(chat.generation.id.replace(/-/g, ''));
    const plain = await server.trpc(user.key).generate.mutate({ model: 'openai/gpt-5.5', prompt: 'no session here' });
    const plainRequest = sim().requests.find((r) => r.headers['cf-aig-event-id'] === plain.id)!;
    expect(plainRequest.headers['cf-aig-session-id']).toBeUndefined();
    expect(plain.servedModel).toBe('openai/gpt-5.5');
  });
});
