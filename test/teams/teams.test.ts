// Apps, teams and the balance through the real server (both limit stores): key limits under a
// user's, a key's model allow-list, teams and their limits, me.remaining and the balance
// headers at every level, and attribution of every ledger row (apiKeyId, teamId, tags).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BALANCE_HEADERS } from '../../src/http/balance-headers.ts';
import { deleteRedisKeys, flatPricing, postTrpc, REDIS_URL, startLimitServer, uniquePrefix, type LimitServer } from '../limits/helpers.ts';
import { ADMIN_KEY } from '../helpers/server.ts';
import { Dec } from '../../src/domain/pricing/pricing.ts';

const MODEL = '@cf/moonshotai/kimi-k2.6';
const prefix = uniquePrefix();
afterAll(() => deleteRedisKeys(prefix));

interface Remaining {
  requestsThisMinute: number | null;
  tokensToday: number | null;
  budgetUsdThisMonth: string | null;
}

/** A GraphQL POST that also returns the response headers. */
async function gqlRaw<T>(url: string, key: string, query: string, variables: Record<string, unknown> = {}) {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: T; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> };
  return { ...body, headers: res.headers };
}

async function gql<T>(url: string, key: string, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const res = await gqlRaw<T>(url, key, query, variables);
  if (res.errors) throw new Error(JSON.stringify(res.errors));
  return res.data!;
}

/** A tRPC query over GET (postTrpc is for mutations). */
async function getTrpc<T>(url: string, key: string, path: string): Promise<{ ok: true; data: T } | { ok: false; error: { data: Record<string, unknown> } }> {
  const res = await fetch(`${url}/trpc/${path}`, { headers: { authorization: `Bearer ${key}` } });
  const body = (await res.json()) as { result?: { data: T }; error?: { data: Record<string, unknown> } };
  return body.error ? { ok: false, error: body.error } : { ok: true, data: body.result!.data };
}

const headerBalance = (h: Headers): Remaining => ({
  requestsThisMinute: h.has(BALANCE_HEADERS.requests) ? Number(h.get(BALANCE_HEADERS.requests)) : null,
  tokensToday: h.has(BALANCE_HEADERS.tokens) ? Number(h.get(BALANCE_HEADERS.tokens)) : null,
  budgetUsdThisMonth: h.get(BALANCE_HEADERS.budget),
});

describe.each([
  ['in-process', {}],
  ['redis', { REDIS_URL, REDIS_KEY_PREFIX: prefix }],
])('apps, teams and the balance (%s store)', (store, env) => {
  let server: LimitServer;
  beforeAll(async () => {
    server = await startLimitServer(env, { pricing: flatPricing(1_000) }); // $0.001 a token
  });
  afterAll(() => server?.close());

  const upstreamCalls = () => server.app.simulator!.requests.filter((r) => r.method === 'POST').length;
  const rows = (where: { userId?: string; apiKeyId?: string; teamId?: string }) => server.app.db.prisma.usageRecord.findMany({ where });

  async function createUser(email: string, limits: Record<string, unknown> = {}): Promise<string> {
    const { createUser: user } = await gql<{ createUser: { id: string } }>(server.url, ADMIN_KEY, `mutation($e: String!) { createUser(input: { email: $e }) { id } }`, { e: email });
    if (Object.keys(limits).length > 0) {
      await gql(server.url, ADMIN_KEY, `mutation($i: SetUserLimitsInput!) { setUserLimits(input: $i) { id } }`, { i: { userId: user.id, ...limits } });
    }
    return user.id;
  }

  async function createKey(userId: string, input: Record<string, unknown> = {}): Promise<{ id: string; secret: string; limits: unknown; allowedModels: string[] }> {
    const { createApiKey } = await gql<{ createApiKey: { secret: string; apiKey: { id: string; limits: unknown; allowedModels: string[] } } }>(
      server.url,
      ADMIN_KEY,
      `mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { secret apiKey { id limits { requestsPerMinute tokensPerDay monthlyBudgetUsd } allowedModels } } }`,
      { i: { userId, name: 'app', ...input } },
    );
    return { id: createApiKey.apiKey.id, secret: createApiKey.secret, limits: createApiKey.apiKey.limits, allowedModels: createApiKey.apiKey.allowedModels };
  }

  async function createTeam(name: string, limits: Record<string, unknown>, members: string[]): Promise<string> {
    const { createTeam: team } = await gql<{ createTeam: { id: string } }>(
      server.url,
      ADMIN_KEY,
      `mutation($i: CreateTeamInput!) { createTeam(input: $i) { id } }`,
      { i: { name, limits } },
    );
    for (const userId of members) {
      await gql(server.url, ADMIN_KEY, `mutation($t: ID!, $u: ID!) { addTeamMember(teamId: $t, userId: $u) { id } }`, { t: team.id, u: userId });
    }
    return team.id;
  }

  it('a key limited to 3 requests per minute under a user with 100: the 4th call is RATE_LIMITED naming the key limit', async () => {
    const userId = await createUser(`rpm-key-${store}@example.com`, { requestsPerMinute: 100 });
    const key = await createKey(userId, { limits: { requestsPerMinute: 3 } });
    expect(key.limits).toEqual({ requestsPerMinute: 3, tokensPerDay: null, monthlyBudgetUsd: null });
    const before = upstreamCalls();
    for (let i = 0; i < 3; i++) expect((await postTrpc(server.url, key.secret, 'generate', { model: MODEL, prompt: `call ${i}` })).ok).toBe(true);
    const fourth = await postTrpc(server.url, key.secret, 'generate', { model: MODEL, prompt: 'call 4' });
    expect(fourth.ok).toBe(false);
    if (!fourth.ok) {
      expect(fourth.status).toBe(429);
      expect(fourth.error.data).toMatchObject({ appCode: 'RATE_LIMITED', limit: 'key:requestsPerMinute', level: 'key' });
      expect(fourth.error.data.retryAfterMs).toBeGreaterThan(0);
    }
    expect(upstreamCalls() - before).toBe(3);
    // Another key of the same user is not held by this key's limit (the user's 100 still apply).
    const other = await createKey(userId);
    const gqlCall = await gqlRaw<{ generate: { id: string } }>(server.url, other.secret, `mutation { generate(input: { model: "${MODEL}", prompt: "other app" }) { id } }`);
    expect(gqlCall.errors).toBeUndefined();
    expect(await rows({ userId })).toHaveLength(4);
  });

  it("a key's own tokensPerDay refuses with BUDGET_EXCEEDED naming key:tokensPerDay (tRPC and GraphQL) while the user has room; nothing goes upstream, no row", async () => {
    // The user has room for a million tokens a day; the key for 240. A call's upper bound is
    // ~155 tokens (64 + 16 + a 55-byte prompt + maxTokens 20), its actual use ~27: room for about four.
    const userId = await createUser(`tpd-key-${store}@example.com`, { tokensPerDay: 1_000_000 });
    const key = await createKey(userId, { limits: { tokensPerDay: 240 } });
    expect(key.limits).toEqual({ requestsPerMinute: null, tokensPerDay: 240, monthlyBudgetUsd: null });
    let admitted = 0;
    let refusal: Record<string, unknown> | undefined;
    for (let i = 0; i < 8 && !refusal; i++) {
      const r = await postTrpc(server.url, key.secret, 'generate', { model: MODEL, prompt: `tokens ${i} alpha beta gamma delta epsilon zeta eta theta`, maxTokens: 20 });
      if (r.ok) admitted++;
      else refusal = { status: r.status, ...r.error.data };
    }
    expect(admitted).toBeGreaterThanOrEqual(2);
    expect(refusal).toMatchObject({ appCode: 'BUDGET_EXCEEDED', limit: 'key:tokensPerDay', level: 'key' });
    expect(refusal!.retryAfterMs).toBeGreaterThan(0);
    const spent = (await rows({ apiKeyId: key.id })).reduce((a, r) => a + r.totalTokens, 0);
    expect(spent).toBeLessThanOrEqual(240);

    const before = { upstream: upstreamCalls(), rows: (await rows({ userId })).length };
    const viaGql = await gqlRaw(server.url, key.secret, `mutation { generate(input: { model: "${MODEL}", prompt: "tokens over graphql alpha beta gamma delta epsilon zeta eta theta", maxTokens: 20 }) { id } }`);
    expect(viaGql.errors?.[0]?.extensions).toMatchObject({ code: 'BUDGET_EXCEEDED', limit: 'key:tokensPerDay', level: 'key' });
    const chat = await gqlRaw(server.url, key.secret, `mutation { chat(input: { model: "${MODEL}", message: "chat over graphql alpha beta gamma delta epsilon zeta eta theta", maxTokens: 20 }) { generation { id } } }`);
    expect(chat.errors?.[0]?.extensions).toMatchObject({ code: 'BUDGET_EXCEEDED', limit: 'key:tokensPerDay' });
    const again = await postTrpc(server.url, key.secret, 'generate', { model: MODEL, prompt: 'tokens again alpha beta gamma delta epsilon zeta eta theta', maxTokens: 20 });
    expect(!again.ok && again.error.data).toMatchObject({ appCode: 'BUDGET_EXCEEDED', limit: 'key:tokensPerDay' });
    expect(upstreamCalls()).toBe(before.upstream);
    expect(await rows({ userId })).toHaveLength(before.rows);
    expect(await server.app.db.prisma.conversation.count({ where: { userId } })).toBe(0);

    // The user still has room: the same user's other key is served.
    const other = await createKey(userId);
    expect((await postTrpc(server.url, other.secret, 'generate', { model: MODEL, prompt: 'another app', maxTokens: 20 })).ok).toBe(true);
    expect(upstreamCalls()).toBe(before.upstream + 1);
  });

  it("a key's own monthlyBudgetUsd refuses with BUDGET_EXCEEDED naming key:monthlyBudgetUsd (GraphQL and tRPC) while the user has room; nothing goes upstream, no row", async () => {
    // $0.001 a token: a call's upper bound (~109 tokens) is ~$0.109, its actual use ~$0.006; the key may spend $0.13, the user $10.
    const userId = await createUser(`usd-key-${store}@example.com`, { monthlyBudgetUsd: '10' });
    const key = await createKey(userId, { limits: { monthlyBudgetUsd: '0.13' } });
    expect(key.limits).toEqual({ requestsPerMinute: null, tokensPerDay: null, monthlyBudgetUsd: '0.13' });
    let admitted = 0;
    let refusal: Record<string, unknown> | undefined;
    for (let i = 0; i < 10 && !refusal; i++) {
      const r = await gqlRaw(server.url, key.secret, `mutation($p: String!) { generate(input: { model: "${MODEL}", prompt: $p, maxTokens: 20 }) { id } }`, { p: `dollars ${i}` });
      if (!r.errors) admitted++;
      else refusal = r.errors[0]!.extensions;
    }
    expect(admitted).toBeGreaterThanOrEqual(1);
    expect(refusal).toMatchObject({ code: 'BUDGET_EXCEEDED', limit: 'key:monthlyBudgetUsd', level: 'key' });
    const spent = (await rows({ apiKeyId: key.id })).reduce((a, r) => a.plus(r.costUsd!.toString()), new Dec(0));
    expect(spent.gt(0)).toBe(true);
    expect(spent.lte('0.13')).toBe(true);

    const before = { upstream: upstreamCalls(), rows: (await rows({ userId })).length };
    const viaTrpc = await postTrpc(server.url, key.secret, 'generate', { model: MODEL, prompt: 'dollars over trpc', maxTokens: 20 });
    expect(viaTrpc.ok).toBe(false);
    if (!viaTrpc.ok) expect(viaTrpc.error.data).toMatchObject({ appCode: 'BUDGET_EXCEEDED', limit: 'key:monthlyBudgetUsd', level: 'key' });
    const chat = await postTrpc(server.url, key.secret, 'chat', { model: MODEL, message: 'chat over trpc', maxTokens: 20 });
    expect(!chat.ok && chat.error.data).toMatchObject({ appCode: 'BUDGET_EXCEEDED', limit: 'key:monthlyBudgetUsd' });
    expect(upstreamCalls()).toBe(before.upstream);
    expect(await rows({ userId })).toHaveLength(before.rows);
    expect(await server.app.db.prisma.conversation.count({ where: { userId } })).toBe(0);

    // The user's $10 are far from spent: the balance of another key shows the user's room.
    const other = await createKey(userId);
    const me = await getTrpc<{ remaining: Remaining }>(server.url, other.secret, 'me');
    expect(me.ok && me.data.remaining.budgetUsdThisMonth).toBe(new Dec(10).minus(spent).toFixed());
    expect((await postTrpc(server.url, other.secret, 'generate', { model: MODEL, prompt: 'another app', maxTokens: 20 })).ok).toBe(true);
  });

  it("a key's model allow-list refuses other models: FORBIDDEN before anything is reserved", async () => {
    const userId = await createUser(`allow-${store}@example.com`, { requestsPerMinute: 5 });
    const key = await createKey(userId, { allowedModels: [MODEL, 'openai/gpt-5.5'] });
    expect(key.allowedModels).toEqual([MODEL, 'openai/gpt-5.5']);
    expect((await postTrpc(server.url, key.secret, 'generate', { model: MODEL, prompt: 'allowed' })).ok).toBe(true);
    const before = upstreamCalls();
    const refused = await postTrpc(server.url, key.secret, 'generate', { model: 'anthropic/claude-sonnet-4-5', prompt: 'not allowed' });
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.error.data.appCode).toBe('FORBIDDEN');
    const viaGql = await gqlRaw(server.url, key.secret, `mutation { chat(input: { model: "anthropic/claude-sonnet-4-5", message: "hi" }) { conversation { id } } }`);
    expect(viaGql.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(upstreamCalls()).toBe(before);
    expect(await rows({ userId })).toHaveLength(1);
    expect(await server.app.db.prisma.conversation.count({ where: { userId } })).toBe(0);
    // Nothing reserved: the minute still has room for 4 more.
    const me = await getTrpc<{ remaining: Remaining }>(server.url, key.secret, 'me');
    expect(me.ok && me.data.remaining.requestsThisMinute).toBe(4);
    // An invalid model id in the allow-list is BAD_INPUT naming the field.
    const bad = await gqlRaw(server.url, ADMIN_KEY, `mutation($u: ID) { createApiKey(input: { userId: $u, allowedModels: ["bad model\\n"] }) { secret } }`, { u: userId });
    expect(bad.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_INPUT', field: 'allowedModels.0' });
  });

  it('me.remaining and the balance headers match the limits after a mix of calls, at each level', async () => {
    // Each level is the tightest for one limit: the key for requests, the team for tokens, the user for dollars.
    const alice = await createUser(`mix-alice-${store}@example.com`, { requestsPerMinute: 10, tokensPerDay: 1_000_000, monthlyBudgetUsd: '10' });
    const bob = await createUser(`mix-bob-${store}@example.com`);
    const teamId = await createTeam(`mix-team-${store}`, { tokensPerDay: 100_000 }, [alice, bob]);
    const aliceKey = await createKey(alice, { limits: { requestsPerMinute: 5, monthlyBudgetUsd: '50' } });
    const bobKey = await createKey(bob);

    expect((await postTrpc(server.url, aliceKey.secret, 'generate', { model: MODEL, prompt: 'first of alice', metadata: { app: 'mix' } })).ok).toBe(true);
    const g = await gqlRaw(server.url, aliceKey.secret, `mutation { chat(input: { model: "${MODEL}", message: "second of alice" }) { generation { id } } }`);
    expect(g.errors).toBeUndefined();
    expect((await postTrpc(server.url, bobKey.secret, 'generate', { model: MODEL, prompt: 'bob counts toward the team too' })).ok).toBe(true);

    const aliceRows = await rows({ userId: alice });
    const teamRows = await rows({ teamId });
    expect(aliceRows).toHaveLength(2);
    expect(teamRows).toHaveLength(3);
    const tokens = (rs: typeof teamRows) => rs.reduce((a, r) => a + r.totalTokens, 0);
    const cost = (rs: typeof teamRows) => rs.reduce((a, r) => a.plus(r.costUsd!.toString()), new Dec(0));
    const expectedAlice: Remaining = {
      requestsThisMinute: 5 - 2,
      tokensToday: 100_000 - tokens(teamRows),
      budgetUsdThisMonth: new Dec(10).minus(cost(aliceRows)).toFixed(),
    };
    const expectedBob: Remaining = { requestsThisMinute: null, tokensToday: 100_000 - tokens(teamRows), budgetUsdThisMonth: null };

    const trpcMe = await getTrpc<{ remaining: Remaining }>(server.url, aliceKey.secret, 'me');
    expect(trpcMe.ok && trpcMe.data.remaining).toEqual(expectedAlice);
    const gqlMe = await gqlRaw<{ me: { remaining: Remaining } }>(server.url, aliceKey.secret, `{ me { remaining { requestsThisMinute tokensToday budgetUsdThisMonth } } }`);
    expect(gqlMe.data!.me.remaining).toEqual(expectedAlice);
    expect(headerBalance(gqlMe.headers)).toEqual(expectedAlice);
    const res = await fetch(`${server.url}/trpc/me`, { headers: { authorization: `Bearer ${aliceKey.secret}` } });
    expect(headerBalance(res.headers)).toEqual(expectedAlice);

    const bobMe = await gqlRaw<{ me: { remaining: Remaining } }>(server.url, bobKey.secret, `{ me { remaining { requestsThisMinute tokensToday budgetUsdThisMonth } } }`);
    expect(bobMe.data!.me.remaining).toEqual(expectedBob);
    expect(headerBalance(bobMe.headers)).toEqual(expectedBob);

    // The headers of a call's own response already count that call.
    const call = await fetch(`${server.url}/trpc/generate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${aliceKey.secret}` },
      body: JSON.stringify({ model: MODEL, prompt: 'third of alice' }),
    });
    expect(call.status).toBe(200);
    expect(headerBalance(call.headers).requestsThisMinute).toBe(2);
    const after = await rows({ teamId });
    expect(headerBalance(call.headers).tokensToday).toBe(100_000 - tokens(after));

    // An admin reads any user's balance (user and team levels).
    const adminView = await gql<{ me: { id: string } }>(server.url, ADMIN_KEY, `{ me { id } }`);
    expect(adminView.me.id).not.toBe(alice);
    const other = await gqlRaw<{ setUserLimits: { remaining: Remaining } }>(
      server.url,
      ADMIN_KEY,
      `mutation($i: SetUserLimitsInput!) { setUserLimits(input: $i) { remaining { requestsThisMinute tokensToday budgetUsdThisMonth } } }`,
      { i: { userId: alice } },
    );
    expect(other.data!.setUserLimits.remaining).toEqual({
      requestsThisMinute: 10 - 3,
      tokensToday: 100_000 - tokens(after),
      budgetUsdThisMonth: new Dec(10).minus(cost(await rows({ userId: alice }))).toFixed(),
    });
    // Attribution: every row carries the key, the team and the metadata as tags.
    const first = aliceRows.find((r) => r.tags !== null)!;
    expect(first).toMatchObject({ apiKeyId: aliceKey.id, teamId, tags: { app: 'mix' } });
    for (const r of await rows({ userId: bob })) expect(r).toMatchObject({ apiKeyId: bobKey.id, teamId });
  });

  it("a team's budget caps all its members, the refusal naming team:monthlyBudgetUsd; membership is admin-only, one team per user", async () => {
    const u1 = await createUser(`team-1-${store}@example.com`);
    const u2 = await createUser(`team-2-${store}@example.com`);
    const k1 = await createKey(u1);
    const k2 = await createKey(u2);
    // An upper bound: (64 + 16 + 11 prompt bytes + 20 maxTokens) tokens at $0.001 = ~$0.111; room for about three.
    const teamId = await createTeam(`budget-team-${store}`, { monthlyBudgetUsd: '0.13' }, [u1]);

    const forbidden = await gqlRaw(server.url, k1.secret, `mutation { createTeam(input: { name: "mine" }) { id } }`);
    expect(forbidden.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const addAsUser = await postTrpc(server.url, k1.secret, 'admin.teams.addMember', { teamId, userId: u2 });
    expect(!addAsUser.ok && addAsUser.error.data.appCode).toBe('FORBIDDEN');
    const added = await postTrpc<{ members: Array<{ id: string }> }>(server.url, ADMIN_KEY, 'admin.teams.addMember', { teamId, userId: u2 });
    expect(added.ok && added.data.members.map((m) => m.id).sort()).toEqual([u1, u2].sort());
    const otherTeam = await postTrpc<{ id: string }>(server.url, ADMIN_KEY, 'admin.teams.create', { name: `other-${store}` });
    expect(otherTeam.ok).toBe(true);
    const twice = await postTrpc(server.url, ADMIN_KEY, 'admin.teams.addMember', { teamId: otherTeam.ok ? otherTeam.data.id : '', userId: u2 });
    expect(!twice.ok && twice.error.data).toMatchObject({ appCode: 'BAD_INPUT', field: 'userId' });

    const mine = await getTrpc<Array<{ id: string }>>(server.url, k2.secret, 'teams.list');
    expect(mine.ok && mine.data.map((t) => t.id)).toEqual([teamId]);

    const results = [];
    for (let i = 0; i < 8; i++) results.push(await postTrpc(server.url, i % 2 ? k2.secret : k1.secret, 'generate', { model: MODEL, prompt: `team call ${i}`, maxTokens: 20 }));
    const ok = results.filter((r) => r.ok).length;
    expect(ok).toBeGreaterThanOrEqual(1);
    const refused = results.flatMap((r) => (r.ok ? [] : [r.error.data]));
    expect(refused.length).toBeGreaterThanOrEqual(1);
    for (const data of refused) expect(data).toMatchObject({ appCode: 'BUDGET_EXCEEDED', limit: 'team:monthlyBudgetUsd', level: 'team' });
    const spent = (await rows({ teamId })).reduce((a, r) => a.plus(r.costUsd!.toString()), new Dec(0));
    expect(spent.lte('0.13')).toBe(true);

    // Removed from the team, u2 is no longer held by its budget.
    const removed = await postTrpc<{ members: Array<{ id: string }> }>(server.url, ADMIN_KEY, 'admin.teams.removeMember', { teamId, userId: u2 });
    expect(removed.ok && removed.data.members.map((m) => m.id)).toEqual([u1]);
    expect((await postTrpc(server.url, k2.secret, 'generate', { model: MODEL, prompt: 'free again', maxTokens: 20 })).ok).toBe(true);
    expect((await rows({ userId: u2 })).at(-1)?.teamId ?? null).toBe(null);
  });
});
