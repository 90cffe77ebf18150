// Budgets are upper bounds: a reservation is at least the UTF-8 bytes of the input plus fixed
// allowances, and the output cap the call sends (the caller's maxTokens, else the model's cap or
// DEFAULT_MAX_OUTPUT_TOKENS, sent upstream); dense text cannot make a call cost more than it
// reserved, so 200 parallel calls never settle past a limit. Unpriced models are refused under a
// USD limit (UNPRICED_MODELS). Both limit stores.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Usage } from '../../src/upstream/call-vocabulary.ts';
import { createLimitAdmission } from '../../src/domain/limits/limit-admission.ts';
import { createMemoryLimitStore } from '../../src/domain/limits/memory-limit-store.ts';
import { usdToUnits } from '../../src/domain/limits/money.ts';
import { inputTokenBound, IMAGE_ALLOWANCE_TOKENS, worstCaseCost } from '../../src/domain/limits/reservation-bound.ts';
import { DEFAULT_MAX_OUTPUT_TOKENS, outputCapFor } from '../../src/domain/generation/output-caps.ts';
import { costAt, type PriceVersion, type Pricing } from '../../src/domain/pricing/pricing.ts';
import { loadEnv } from '../../src/platform/env.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { deleteRedisKeys, postTrpc, REDIS_URL, startLimitServer, uniquePrefix, userWithKey, type LimitServer } from './helpers.ts';

const MODEL = '@cf/moonshotai/kimi-k2.6';
const UNPRICED = '@cf/acme/unpriced-model';
/** 800 one-letter words: 1,600 bytes, 800 tokens at the simulator (and for most tokenizers). */
const DENSE = Array.from({ length: 800 }, (_, i) => 'abcdefghijklmnopqrstuvwxyz'[i % 26]).join(' ');
const prefix = uniquePrefix();
afterAll(() => deleteRedisKeys(prefix));

describe('the upper bound', () => {
  it('input: every UTF-8 byte plus allowances; never characters / 4', () => {
    const one = inputTokenBound({ messages: [{ role: 'user', content: DENSE }] });
    expect(one).toBeGreaterThanOrEqual(Buffer.byteLength(DENSE));
    const multiByte = 'ü€😀'.repeat(100); // 2 + 3 + 4 bytes, 4 UTF-16 units
    expect(inputTokenBound({ messages: [{ role: 'user', content: multiByte }] })).toBeGreaterThanOrEqual(900);
    const withAll = inputTokenBound({
      system: 'sys',
      messages: [
        { role: 'user', content: 'look', images: [{ url: 'https://example.com/a.png' }] },
        { role: 'assistant', content: '', toolCalls: [{ id: 'c1', name: 'lookup', arguments: '{"q":"x"}' }] },
        { role: 'tool', content: 'result', toolCallId: 'c1' },
      ],
      tools: [{ name: 'lookup', description: 'finds', parameters: { type: 'object' } }],
      stop: ['END'],
    });
    expect(withAll).toBeGreaterThan(IMAGE_ALLOWANCE_TOKENS + 3 + 4 + 9 + 6 + 3);
  });

  it('USD: input at the dearest input category, output at the dearer of output and reasoning', () => {
    const price: PriceVersion = {
      id: 'p', model: 'm', version: 1, effectiveFrom: new Date(0), inputPerMTok: '1', cachedInputPerMTok: '0.1', cacheWritePerMTok: '1.25',
      outputPerMTok: '5', reasoningPerMTok: '7', source: 't', createdBy: null, createdAt: new Date(0),
    };
    const pricing: Pricing = { costOf: (_m, usage: Usage) => ({ costUsd: costAt(price, usage), priceVersionId: 'p' }) };
    // 1,000,000 input at 1.25 + 1,000,000 output at 7
    expect(worstCaseCost(pricing, 'm', 1_000_000, 1_000_000, new Date()).costUsd).toBe('8.25');
    const unpriced: Pricing = { costOf: () => ({ costUsd: null, priceVersionId: null }) };
    expect(worstCaseCost(unpriced, 'm', 10, 10, new Date()).costUsd).toBeNull();
  });

  it('output: the model catalogue cap, else DEFAULT_MAX_OUTPUT_TOKENS (8192 unless set); room for thinking on Messages', () => {
    expect(loadEnv({}).DEFAULT_MAX_OUTPUT_TOKENS).toBe(8_192);
    expect(loadEnv({ DEFAULT_MAX_OUTPUT_TOKENS: '300' }).DEFAULT_MAX_OUTPUT_TOKENS).toBe(300);
    expect(loadEnv({}).UNPRICED_MODELS).toBe('refuse');
    expect(loadEnv({ UNPRICED_MODELS: 'allow' }).UNPRICED_MODELS).toBe('allow');
    expect(() => loadEnv({ UNPRICED_MODELS: 'sometimes' })).toThrow(/UNPRICED_MODELS/);
    expect(outputCapFor(MODEL, 'RUN', undefined)).toBe(DEFAULT_MAX_OUTPUT_TOKENS);
    expect(outputCapFor(MODEL, 'RUN', undefined, 300)).toBe(300);
    expect(outputCapFor('anthropic/claude-sonnet-4-5', 'MESSAGES', undefined)).toBe(64_000);
    expect(outputCapFor('anthropic/unknown', 'MESSAGES', 'HIGH')).toBeGreaterThan(16_384);
  });

  it('UNPRICED_MODELS=allow: an unpriced model passes a USD limit at cost 0; refuse (default): FORBIDDEN naming the model', async () => {
    const store = createMemoryLimitStore();
    const admission = (unpricedModels: 'allow' | 'refuse') =>
      createLimitAdmission({
        limitsOf: async () => ({ subjects: [{ level: 'user', id: 'u1', limits: { requestsPerMinute: null, tokensPerDay: null, monthlyBudgetUnits: usdToUnits('0.01') } }], allowedModels: [] }),
        store,
        pricing: { costOf: () => ({ costUsd: null, priceVersionId: null }) },
        reservationTtlMs: 60_000,
        logger: createLogger('silent'),
        unpricedModels,
      });
    const request = { principal: { userId: 'u1', role: 'USER' as const }, model: UNPRICED, maxTokens: 10, inputTokenBound: 10 };
    await expect(admission('refuse').admit(request)).rejects.toMatchObject({ code: 'FORBIDDEN', message: expect.stringContaining(UNPRICED) });
    const reservation = await admission('allow').admit(request);
    await reservation.release();
  });
});

describe.each([
  ['in-process', {}],
  ['redis', { REDIS_URL, REDIS_KEY_PREFIX: prefix }],
])('budgets are upper bounds (%s store)', (_name, env) => {
  let server: LimitServer;
  beforeAll(async () => {
    server = await startLimitServer(env); // the committed price list
  });
  afterAll(() => server?.close());

  const upstreamCalls = () => server.app.simulator!.requests.filter((r) => r.method === 'POST').length;
  const settled = async (userId: string) => {
    const rows = await server.app.db.prisma.usageRecord.findMany({ where: { userId } });
    return { rows, tokens: rows.reduce((n, r) => n + r.totalTokens, 0), units: rows.reduce((n, r) => n + (r.costUsd === null ? 0n : usdToUnits(r.costUsd.toString())), 0n) };
  };
  const setLimits = (userId: string, data: { tokensPerDay?: number | null; monthlyBudgetUsd?: string | null }) => server.app.db.prisma.user.update({ where: { id: userId }, data });
  const burst = (key: string, input: Record<string, unknown>, n: number) => Promise.all(Array.from({ length: n }, () => postTrpc(server.url, key, 'generate', input)));

  it('200 parallel calls of 800 one-letter words, maxTokens 1, against 5,000 tokens a day: settled usage stays within 5,000', async () => {
    const { userId, key } = await userWithKey(server.url, `dense-tokens-${_name}@example.com`);
    await setLimits(userId, { tokensPerDay: 5_000 });
    const results = await burst(key, { model: MODEL, prompt: DENSE, maxTokens: 1 }, 200);
    const ok = results.filter((r) => r.ok).length;
    expect(ok).toBeGreaterThanOrEqual(1);
    for (const r of results) if (!r.ok) expect(r.error.data).toMatchObject({ appCode: 'BUDGET_EXCEEDED', limit: 'tokensPerDay' });
    const { rows, tokens } = await settled(userId);
    expect(rows).toHaveLength(ok);
    expect(rows.every((r) => r.totalTokens >= 800)).toBe(true); // the dense text really costs a token a word
    expect(tokens).toBeLessThanOrEqual(5_000);
  });

  it('the same against a $0.01 budget: settled spend stays within $0.01', async () => {
    const { userId, key } = await userWithKey(server.url, `dense-usd-${_name}@example.com`);
    await setLimits(userId, { monthlyBudgetUsd: '0.01' });
    const results = await burst(key, { model: MODEL, prompt: DENSE, maxTokens: 1 }, 200);
    const ok = results.filter((r) => r.ok).length;
    expect(ok).toBeGreaterThanOrEqual(1);
    for (const r of results) if (!r.ok) expect(r.error.data).toMatchObject({ appCode: 'BUDGET_EXCEEDED', limit: 'monthlyBudgetUsd' });
    const { units } = await settled(userId);
    expect(units).toBeGreaterThan(0n);
    expect(units).toBeLessThanOrEqual(usdToUnits('0.01'));
  });

  it('a call without maxTokens sends DEFAULT_MAX_OUTPUT_TOKENS upstream and reserves exactly that', async () => {
    const { userId, key } = await userWithKey(server.url, `cap-${_name}@example.com`);
    const prompt = 'how long may the answer be';
    const bound = inputTokenBound({ messages: [{ role: 'user', content: prompt }] }) + DEFAULT_MAX_OUTPUT_TOKENS;
    await setLimits(userId, { tokensPerDay: bound - 1 });
    const refused = await postTrpc(server.url, key, 'generate', { model: MODEL, prompt });
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.error.data).toMatchObject({ appCode: 'BUDGET_EXCEEDED', limit: 'tokensPerDay' });
    await setLimits(userId, { tokensPerDay: bound });
    const before = server.app.simulator!.requests.length;
    const admitted = await postTrpc(server.url, key, 'generate', { model: MODEL, prompt });
    expect(admitted.ok).toBe(true);
    const sent = server.app.simulator!.requests.slice(before).find((r) => r.method === 'POST');
    expect(JSON.stringify(sent?.body)).toContain(`"max_tokens":${DEFAULT_MAX_OUTPUT_TOKENS}`);
  });

  it('an unpriced model under a USD limit: 50 of 50 calls FORBIDDEN naming the model, nothing upstream, no row', async () => {
    const { userId, key } = await userWithKey(server.url, `unpriced-${_name}@example.com`);
    await setLimits(userId, { monthlyBudgetUsd: '0.01' });
    const before = upstreamCalls();
    const results = await burst(key, { model: UNPRICED, prompt: 'free?', maxTokens: 5 }, 50);
    for (const r of results) {
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.error.data.appCode).toBe('FORBIDDEN');
        expect(r.error.message).toContain(UNPRICED);
      }
    }
    expect(upstreamCalls()).toBe(before);
    expect((await settled(userId)).rows).toHaveLength(0);
    // Without a USD limit (tokens only) the unpriced model is callable, its cost null.
    await setLimits(userId, { monthlyBudgetUsd: null, tokensPerDay: 100_000 });
    const r = await postTrpc<{ usage: { costUsd: string | null } }>(server.url, key, 'generate', { model: UNPRICED, prompt: 'free?', maxTokens: 5 });
    expect(r.ok && r.data.usage.costUsd).toBeNull();
  });
});
