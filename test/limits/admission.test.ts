// Limits through the real server, in one process: with the in-process store and with Redis.
// A refused call sends nothing upstream, writes no ledger row and is counted in /metrics.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inputTokenBound } from '../../src/domain/limits/reservation-bound.ts';
import { usdToUnits } from '../../src/domain/limits/money.ts';
import { deleteRedisKeys, flatPricing, metricValue, postTrpc, REDIS_URL, startLimitServer, uniquePrefix, userWithKey, type LimitServer } from './helpers.ts';

const MODEL = '@cf/moonshotai/kimi-k2.6';
const prefix = uniquePrefix();
afterAll(() => deleteRedisKeys(prefix));

describe.each([
  ['in-process', {}],
  ['redis', { REDIS_URL, REDIS_KEY_PREFIX: prefix }],
])('limits (%s store)', (_name, env) => {
  let server: LimitServer;
  beforeAll(async () => {
    server = await startLimitServer(env, { pricing: flatPricing(1_000) }); // $0.001 a token
  });
  afterAll(() => server?.close());

  const upstreamCalls = () => server.app.simulator!.requests.filter((r) => r.method === 'POST').length;
  const ledger = (userId: string) => server.app.db.prisma.usageRecord.findMany({ where: { userId } });
  const setLimits = (userId: string, data: { requestsPerMinute?: number | null; tokensPerDay?: number | null; monthlyBudgetUsd?: string | null }) =>
    server.app.db.prisma.user.update({ where: { id: userId }, data });

  it('50 concurrent calls against 10 requests a minute: exactly 10 go upstream, 40 are RATE_LIMITED', async () => {
    const { userId, key } = await userWithKey(server.url, `rpm-${_name}@example.com`);
    await setLimits(userId, { requestsPerMinute: 10 });
    const before = upstreamCalls();
    const refusals = async () =>
      (await metricValue(server.url, 'switchboard_limit_refusals_total', 'limit="requestsPerMinute"')) +
      (await metricValue(server.url, 'switchboard_limit_refusals_total', 'limit="unavailable"'));
    const refusalsBefore = await refusals();
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => postTrpc(server.url, key, 'generate', { model: MODEL, prompt: `call ${i}` })));
    const ok = results.filter((r) => r.ok);
    const refused = results.flatMap((r) => (r.ok ? [] : [r]));
    expect(ok).toHaveLength(10);
    expect(refused).toHaveLength(40);
    for (const r of refused) {
      expect(r.status).toBe(429);
      expect(r.error.data.appCode).toBe('RATE_LIMITED');
      expect(r.error.data.retryAfterMs).toBeGreaterThan(0);
    }
    expect(upstreamCalls() - before).toBe(10);
    expect(await ledger(userId)).toHaveLength(10);
    // (Under a loaded machine a Redis reply may exceed REDIS_TIMEOUT_MS: refused as "unavailable".)
    expect((await refusals()) - refusalsBefore).toBe(40);
  });

  it('spend budget: concurrent calls whose worst case would overshoot are refused; settlement frees the unused part', async () => {
    const { userId, key } = await userWithKey(server.url, `spend-${_name}@example.com`);
    const prompt = 'spend some [[fault:slow_first_byte:3000]]';
    const maxTokens = 100;
    const worstTokens = inputTokenBound({ messages: [{ role: 'user', content: prompt }] }) + maxTokens;
    const worst = usdToUnits('0.001') * BigInt(worstTokens);
    const budget = worst * 3n + worst / 2n; // room for 3 worst cases, not 4
    const budgetUsd = `${budget / 10_000_000_000n}.${(budget % 10_000_000_000n).toString().padStart(10, '0')}`.replace(/0{4}$/, '');
    await setLimits(userId, { monthlyBudgetUsd: budgetUsd });
    const before = upstreamCalls();

    const wave = () => Promise.all(Array.from({ length: 6 }, () => postTrpc<{ id: string; usage: { costUsd: string } }>(server.url, key, 'generate', { model: MODEL, prompt, maxTokens })));
    const first = await wave();
    expect(first.filter((r) => r.ok)).toHaveLength(3);
    for (const r of first) if (!r.ok) expect(r.error.data).toMatchObject({ appCode: 'BUDGET_EXCEEDED', limit: 'monthlyBudgetUsd' });
    expect(upstreamCalls() - before).toBe(3);

    // Settled: each call cost its actual tokens, far below the worst case; the rest is free again.
    const rows = await ledger(userId);
    expect(rows).toHaveLength(3);
    const spent = rows.reduce((sum, r) => sum + usdToUnits(r.costUsd!.toString()), 0n);
    expect(spent).toBeLessThan(worst * 3n);
    const fits = (budget - spent) / worst;
    const second = await wave();
    expect(BigInt(second.filter((r) => r.ok).length)).toBe(fits < 6n ? fits : 6n);
    expect(await ledger(userId)).toHaveLength(3 + second.filter((r) => r.ok).length);
  });

  it('tokens per day: BUDGET_EXCEEDED naming the limit, nothing upstream', async () => {
    const { userId, key } = await userWithKey(server.url, `tokens-${_name}@example.com`);
    // Reserved: 'too big' with 100 output tokens is over 150; 'small' with 10 fits.
    await setLimits(userId, { tokensPerDay: 150 });
    expect(inputTokenBound({ messages: [{ role: 'user', content: 'too big' }] }) + 100).toBeGreaterThan(150);
    expect(inputTokenBound({ messages: [{ role: 'user', content: 'small' }] }) + 10).toBeLessThanOrEqual(150);
    const before = upstreamCalls();
    const r = await postTrpc(server.url, key, 'generate', { model: MODEL, prompt: 'too big', maxTokens: 100 });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.data).toMatchObject({ appCode: 'BUDGET_EXCEEDED', limit: 'tokensPerDay' });
      expect(r.error.data.retryAfterMs).toBeGreaterThan(0);
    }
    expect(upstreamCalls()).toBe(before);
    expect(await ledger(userId)).toHaveLength(0);
    expect((await postTrpc(server.url, key, 'generate', { model: MODEL, prompt: 'small', maxTokens: 10 })).ok).toBe(true);
  });

  it('a failed call releases its reservation', async () => {
    const { userId, key } = await userWithKey(server.url, `failed-${_name}@example.com`);
    // Room for either call's reservation, not both.
    await setLimits(userId, { tokensPerDay: 250 });
    const failed = await postTrpc(server.url, key, 'generate', { model: MODEL, prompt: 'x [[fault:server_error:400]]', maxTokens: 100 });
    expect(failed.ok).toBe(false);
    expect((await postTrpc(server.url, key, 'generate', { model: MODEL, prompt: 'again', maxTokens: 100 })).ok).toBe(true);
  });
});

describe('limits default from the environment', () => {
  let server: LimitServer;
  beforeAll(async () => {
    server = await startLimitServer({ DEFAULT_REQUESTS_PER_MINUTE: '2' });
  });
  afterAll(() => server?.close());

  it('applies DEFAULT_REQUESTS_PER_MINUTE unless the user has its own limit', async () => {
    const a = await userWithKey(server.url, 'default@example.com');
    const codes = [];
    for (let i = 0; i < 3; i++) {
      const r = await postTrpc(server.url, a.key, 'generate', { model: MODEL, prompt: 'hi' });
      codes.push(r.ok ? 'OK' : r.error.data.appCode);
    }
    expect(codes).toEqual(['OK', 'OK', 'RATE_LIMITED']);
    const b = await userWithKey(server.url, 'own@example.com');
    await server.app.db.prisma.user.update({ where: { id: b.userId }, data: { requestsPerMinute: 3 } });
    const results = await Promise.all(Array.from({ length: 5 }, () => postTrpc(server.url, b.key, 'generate', { model: MODEL, prompt: 'hi' })));
    expect(results.filter((r) => r.ok)).toHaveLength(3);
  });
});

describe('a chat refused by a limit stores nothing', () => {
  let server: LimitServer;
  beforeAll(async () => {
    server = await startLimitServer({});
  });
  afterAll(() => server?.close());

  it('no conversation, no message, no ledger row', async () => {
    const { userId, key } = await userWithKey(server.url, 'chat-refused@example.com');
    await server.app.db.prisma.user.update({ where: { id: userId }, data: { requestsPerMinute: 1 } });
    const first = await postTrpc<{ conversation: { id: string } }>(server.url, key, 'chat', { model: MODEL, message: 'first' });
    expect(first.ok).toBe(true);
    const refused = await postTrpc(server.url, key, 'chat', { model: MODEL, message: 'second, refused' });
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.error.data.appCode).toBe('RATE_LIMITED');
    const conversations = await server.app.db.prisma.conversation.findMany({ where: { userId }, include: { messages: true } });
    expect(conversations).toHaveLength(1);
    expect(conversations[0]!.messages.map((m) => m.content)).toEqual(['first', 'Echo: first']);
    expect(await server.app.db.prisma.usageRecord.count({ where: { userId } })).toBe(1);
  });
});
