// recentCalls, modelPerformance and conversationCosts over both APIs: the dashboard's reads.
// Real server, simulator upstream, real database; expectations computed from the ledger itself.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUserWithKey, startTestServer, type TestServer } from '../helpers/server.ts';
import { trpcErrorData } from '../helpers/errors.ts';
import { createModelPerformance } from '../../src/domain/reports/model-performance.ts';

let server: TestServer;
let alice: { userId: string; key: string };
let bob: { userId: string; key: string };
let conversationId: string;
const from = new Date(Date.now() - 3_600_000).toISOString();
const to = new Date(Date.now() + 3_600_000).toISOString();
const PRICED = '@cf/moonshotai/kimi-k2.6';

const CALLS = `query($input: RecentCallsInput!) { recentCalls(input: $input) { nextCursor rows { id userId userEmail model status costUsd totalTokens latencyMs usageEstimated reconciliation conversationId } } }`;

beforeAll(async () => {
  server = await startTestServer();
  alice = await createUserWithKey(server, 'alice@example.com');
  bob = await createUserWithKey(server, 'bob@example.com');
  const a = server.trpc(alice.key);
  for (const prompt of ['one', 'two words', 'three more words']) await a.generate.mutate({ model: PRICED, prompt });
  await a.generate.mutate({ model: 'openai/gpt-5.5', prompt: 'unpriced' });
  await expect(a.generate.mutate({ model: PRICED, prompt: 'fail [[fault:provider_error]]' })).rejects.toThrow();
  const turn = await a.chat.mutate({ model: PRICED, message: 'hello there' });
  conversationId = turn.conversation.id;
  await a.chat.mutate({ model: PRICED, message: 'and again', conversationId });
  const b = server.trpc(bob.key);
  await b.generate.mutate({ model: PRICED, prompt: 'bob one' });
  await b.generate.mutate({ model: PRICED, prompt: 'bob two' });
});

afterAll(() => server?.close());

describe('recentCalls', () => {
  it('a user sees only its own rows, newest first; another user id is NOT_FOUND, allUsers FORBIDDEN', async () => {
    const own = await server.gql<{ recentCalls: { rows: Array<{ userId: string; userEmail: string }> } }>(CALLS, { input: { from, to } }, alice.key);
    expect(own.errors).toBeUndefined();
    expect(own.data!.recentCalls.rows).toHaveLength(7);
    expect(new Set(own.data!.recentCalls.rows.map((r) => r.userEmail))).toEqual(new Set(['alice@example.com']));
    const other = await server.gql(CALLS, { input: { from, to, userId: bob.userId } }, alice.key);
    expect(other.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const all = await server.gql(CALLS, { input: { from, to, allUsers: true } }, alice.key);
    expect(all.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const trpcOther = await trpcErrorData(server.trpc(alice.key).usage.recentCalls.query({ from: new Date(from), to: new Date(to), userId: bob.userId }));
    expect(trpcOther.appCode).toBe('NOT_FOUND');
  });

  it('an admin sees everyone and filters by status, model and cost; pages with a cursor', async () => {
    const all = await server.gql<{ recentCalls: { rows: Array<{ id: string; status: string; model: string; costUsd: string | null }> } }>(CALLS, { input: { from, to, allUsers: true } });
    const rows = all.data!.recentCalls.rows;
    expect(rows.length).toBe(9);
    const errors = await server.gql<{ recentCalls: { rows: Array<{ status: string }> } }>(CALLS, { input: { from, to, allUsers: true, status: ['ERROR'] } });
    expect(errors.data!.recentCalls.rows.map((r) => r.status)).toEqual(['ERROR']);
    // Every listed model is priced (prisma/prices), so the model filter's one row has a cost.
    const oneModel = await server.gql<{ recentCalls: { rows: Array<{ model: string; costUsd: string | null }> } }>(CALLS, { input: { from, to, allUsers: true, model: 'openai/gpt-5.5' } });
    expect(oneModel.data!.recentCalls.rows).toEqual([expect.objectContaining({ model: 'openai/gpt-5.5', costUsd: expect.stringMatching(/^\d+\.\d+$/) })]);
    const costly = rows.filter((r) => r.costUsd !== null && Number(r.costUsd) >= 0.00001);
    const byCost = await server.trpc().usage.recentCalls.query({ from: new Date(from), to: new Date(to), allUsers: true, minCostUsd: '0.00001' });
    expect(byCost.rows.map((r) => r.id).sort()).toEqual(costly.map((r) => r.id).sort());

    const seen: string[] = [];
    let after: string | null = null;
    do {
      const page: { recentCalls: { nextCursor: string | null; rows: Array<{ id: string }> } } = (
        await server.gql<{ recentCalls: { nextCursor: string | null; rows: Array<{ id: string }> } }>(CALLS, { input: { from, to, allUsers: true, first: 4, after } })
      ).data!;
      seen.push(...page.recentCalls.rows.map((r) => r.id));
      after = page.recentCalls.nextCursor;
    } while (after);
    expect(seen).toEqual(rows.map((r) => r.id));
  });

  it('refuses a bad filter with BAD_INPUT naming the field', async () => {
    const bad = await server.gql(CALLS, { input: { from, to, minCostUsd: 'lots' } }, alice.key);
    expect(bad.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_INPUT', field: 'minCostUsd' });
    const cursor = await server.gql(CALLS, { input: { from, to, after: 'bm90LWEtY3Vyc29y' } }, alice.key);
    expect(cursor.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_INPUT', field: 'after' });
  });
});

describe('modelPerformance', () => {
  it('counts requests and errors per model and gives percentiles within the observed latencies', async () => {
    const calls = (await server.trpc(alice.key).usage.recentCalls.query({ from: new Date(from), to: new Date(to) })).rows;
    const perf = await server.gql<{ modelPerformance: Array<{ model: string; requests: number; errors: number; errorRate: number; sampledRequests: number; latencyP50Ms: number; latencyP95Ms: number }> }>(
      `query($input: ModelPerformanceInput!) { modelPerformance(input: $input) { model requests errors errorRate sampledRequests latencyP50Ms latencyP95Ms timeToFirstTokenP50Ms } }`,
      { input: { from, to } },
      alice.key,
    );
    expect(perf.errors).toBeUndefined();
    const kimi = perf.data!.modelPerformance.find((m) => m.model === PRICED)!;
    const kimiRows = calls.filter((c) => c.model === PRICED);
    expect(kimi.requests).toBe(kimiRows.length);
    expect(kimi.errors).toBe(kimiRows.filter((c) => c.status === 'ERROR').length);
    expect(kimi.errorRate).toBeCloseTo(1 / kimiRows.length, 10);
    const okLatencies = kimiRows.filter((c) => c.status === 'OK').map((c) => c.latencyMs).sort((x, y) => x - y);
    expect(okLatencies).toContain(kimi.latencyP50Ms);
    expect(kimi.latencyP95Ms).toBe(okLatencies[okLatencies.length - 1]);
    expect(kimi.sampledRequests).toBe(kimiRows.length);
    const trpcPerf = await server.trpc(alice.key).usage.modelPerformance.query({ from: new Date(from), to: new Date(to) });
    expect(trpcPerf).toEqual(perf.data!.modelPerformance.map((m) => expect.objectContaining(m)));
  });


  it('computes the percentiles over the newest calls only, the counts over all', async () => {
    const calls = (await server.trpc(alice.key).usage.recentCalls.query({ from: new Date(from), to: new Date(to), model: PRICED, status: ['OK'] })).rows;
    const newestTwo = calls.slice(0, 2).map((c) => c.latencyMs).sort((x, y) => x - y);
    const service = createModelPerformance({ prisma: server.app.db.prisma, scopeOf: server.app.services.usage.scopeOf, runReport: server.app.services.usage.run, sample: 2 });
    const [kimi] = await service.byModel({ userId: alice.userId, role: 'USER' }, { from: new Date(from), to: new Date(to), model: PRICED });
    expect(kimi).toMatchObject({ model: PRICED, requests: calls.length + 1, errors: 1, sampledRequests: 2, latencyP50Ms: newestTwo[0], latencyP95Ms: newestTwo[1] });
  });
});

describe('conversationCosts', () => {
  it("sums a conversation's ledger rows; a user sees only its own conversations", async () => {
    const calls = (await server.trpc(alice.key).usage.recentCalls.query({ from: new Date(from), to: new Date(to) })).rows.filter((c) => c.conversationId === conversationId);
    expect(calls).toHaveLength(2);
    const expected = calls.reduce((sum, c) => sum + Number(c.costUsd), 0);
    const costs = await server.gql<{ conversationCosts: Array<{ conversationId: string; requests: number; costUsd: string }> }>(
      `query($input: ConversationCostsInput!) { conversationCosts(input: $input) { conversationId title requests totalTokens costUsd userEmail } }`,
      { input: { from, to } },
      alice.key,
    );
    expect(costs.errors).toBeUndefined();
    expect(costs.data!.conversationCosts).toHaveLength(1);
    expect(costs.data!.conversationCosts[0]).toMatchObject({ conversationId, requests: 2 });
    expect(Number(costs.data!.conversationCosts[0]!.costUsd)).toBeCloseTo(expected, 10);
    expect(await server.trpc(bob.key).usage.conversationCosts.query({ from: new Date(from), to: new Date(to) })).toEqual([]);
    const admin = await server.trpc().usage.conversationCosts.query({ from: new Date(from), to: new Date(to), allUsers: true });
    expect(admin.map((c) => c.conversationId)).toEqual([conversationId]);
  });
});

// Runs last: it adds a team and a call of bob's in it.
describe('report groups carry names', () => {
  it("usageReport rows name the grouped user (email), API key and team, over both APIs; a user sees only its own", async () => {
    const team = await server.gql<{ createTeam: { id: string } }>('mutation($i: CreateTeamInput!) { createTeam(input: $i) { id } }', { i: { name: 'Research' } });
    expect(team.errors).toBeUndefined();
    const teamId = team.data!.createTeam.id;
    expect((await server.gql('mutation($t: ID!, $u: ID!) { addTeamMember(teamId: $t, userId: $u) { id } }', { t: teamId, u: bob.userId })).errors).toBeUndefined();
    await server.trpc(bob.key).generate.mutate({ model: PRICED, prompt: 'bob in a team' });
    const keys = await server.app.db.prisma.apiKey.findMany({ where: { userId: { in: [alice.userId, bob.userId] } }, select: { id: true, userId: true, name: true } });
    const keyOf = (userId: string) => keys.find((k) => k.userId === userId)!;
    expect(keyOf(bob.userId).name).toBe('test');

    type Row = { userId: string | null; userEmail: string | null; apiKeyId: string | null; apiKeyName: string | null; teamId: string | null; teamName: string | null; requests: number };
    const q = `query($input: UsageReportInput!) { usageReport(input: $input) { rows { userId userEmail apiKeyId apiKeyName teamId teamName requests } } }`;
    const input = { from, to, groupBy: ['USER', 'API_KEY', 'TEAM'], allUsers: true };
    const gql = await server.gql<{ usageReport: { rows: Row[] } }>(q, { input });
    expect(gql.errors).toBeUndefined();
    const named = gql.data!.usageReport.rows.map(({ requests: _, ...r }) => r);
    expect(named).toEqual(
      expect.arrayContaining([
        { userId: alice.userId, userEmail: 'alice@example.com', apiKeyId: keyOf(alice.userId).id, apiKeyName: 'test', teamId: null, teamName: null },
        { userId: bob.userId, userEmail: 'bob@example.com', apiKeyId: keyOf(bob.userId).id, apiKeyName: 'test', teamId: null, teamName: null },
        { userId: bob.userId, userEmail: 'bob@example.com', apiKeyId: keyOf(bob.userId).id, apiKeyName: 'test', teamId, teamName: 'Research' },
      ]),
    );
    // tRPC returns the same rows; a dimension that is not grouped has no name.
    const trpc = await server.trpc().usage.report.query({ ...input, from: new Date(from), to: new Date(to), groupBy: ['USER', 'API_KEY', 'TEAM'] });
    expect(trpc.rows.map((r) => ({ userId: r.userId, userEmail: r.userEmail, apiKeyId: r.apiKeyId, apiKeyName: r.apiKeyName, teamId: r.teamId, teamName: r.teamName }))).toEqual(named);
    const byModel = await server.trpc().usage.report.query({ from: new Date(from), to: new Date(to), groupBy: ['MODEL'], allUsers: true });
    expect(byModel.rows.every((r) => r.userEmail === null && r.apiKeyName === null && r.teamName === null)).toBe(true);
    // A user's own report names its own groups, and only those.
    const own = await server.trpc(alice.key).usage.report.query({ from: new Date(from), to: new Date(to), groupBy: ['USER', 'TEAM'] });
    expect(own.rows.map((r) => [r.userEmail, r.teamName])).toEqual([['alice@example.com', null]]);
  });
});
