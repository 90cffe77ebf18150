// The drop-in surfaces as Switchboard calls: the SDKs' typed errors and retry rules (401, 403,
// 400, 429 with retry-after, 402 not retried, upstream statuses), unknown body fields reaching the
// upstream unchanged, the x-switchboard-* headers, Idempotency-Key, balance headers, one row per
// upstream attempt, a budget shared with GraphQL and tRPC, and the SURFACE report dimension.
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUserWithKey, startTestServer, type TestServer } from '../helpers/server.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ GATEWAYS: 'gw-compat', UPSTREAM_MAX_RETRIES: '2', UPSTREAM_RETRY_BASE_DELAY_MS: '1' });
}, 60_000);
afterAll(() => server?.close());

const MODEL = 'openai/gpt-5.5';
const CLAUDE = 'anthropic/claude-sonnet-4-5';
const sim = () => server.app.simulator!;
const rowsOf = (userId: string) => server.app.db.prisma.usageRecord.findMany({ where: { userId }, orderBy: [{ createdAt: 'asc' }, { attempt: 'asc' }] });

/** A client whose requests to Switchboard are counted (so a retry by the SDK shows). */
function counting<T>(make: (fetch: typeof globalThis.fetch) => T): { client: T; requests: () => number } {
  let n = 0;
  const client = make((input, init) => {
    n++;
    return fetch(input, init);
  });
  return { client, requests: () => n };
}

describe('errors in each SDK envelope', () => {
  it('a bad key: AuthenticationError (OpenAI and Anthropic), by Bearer and by x-api-key', async () => {
    const openai = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'sk-not-a-key', maxRetries: 0 });
    const error = await openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
    expect((error as InstanceType<typeof OpenAI.AuthenticationError>).error).toMatchObject({ type: 'authentication_error', code: 'UNAUTHENTICATED' });

    const anthropic = new Anthropic({ baseURL: server.url, apiKey: 'sk-not-a-key', maxRetries: 0 });
    const aError = await anthropic.messages.create({ model: CLAUDE, max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    expect(aError).toBeInstanceOf(Anthropic.AuthenticationError);
    expect((aError as InstanceType<typeof Anthropic.AuthenticationError>).error).toEqual({ type: 'error', error: { type: 'authentication_error', message: expect.any(String) } });
  });

  it('a model outside the key allow-list: PermissionDeniedError, nothing upstream, no row', async () => {
    const { userId } = await createUserWithKey(server, 'allow-list@example.com');
    const created = await server.trpc().admin.createApiKey.mutate({ userId, name: 'claude only', allowedModels: [CLAUDE] });
    const before = sim().requests.length;
    const openai = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: created.secret, maxRetries: 0 });
    const error = await openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.PermissionDeniedError);
    const anthropic = new Anthropic({ baseURL: server.url, apiKey: created.secret, maxRetries: 0 });
    const ok = await anthropic.messages.create({ model: CLAUDE, max_tokens: 10, messages: [{ role: 'user', content: 'allowed' }] });
    expect(ok.content[0]).toMatchObject({ type: 'text' });
    expect(sim().requests.length - before).toBe(1);
    expect(await rowsOf(userId)).toHaveLength(1);
  });

  it('bad input: BadRequestError naming the field, before anything goes upstream', async () => {
    const { key } = await createUserWithKey(server, 'bad-input@example.com');
    const openai = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: key, maxRetries: 0 });
    const before = sim().requests.length;
    const badModel = await openai.chat.completions.create({ model: 'bad model id!', messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    expect(badModel).toBeInstanceOf(OpenAI.BadRequestError);
    expect((badModel as InstanceType<typeof OpenAI.BadRequestError>).error).toMatchObject({ code: 'BAD_INPUT', param: 'model' });
    const nul = await openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'a\u0000b' }] }).catch((e: unknown) => e);
    expect((nul as InstanceType<typeof OpenAI.BadRequestError>).error).toMatchObject({ code: 'BAD_INPUT', param: 'messages.0.content' });
    // An inline image counts against MAX_IMAGE_BYTES, as on GraphQL and tRPC.
    const big = `data:image/png;base64,${Buffer.alloc(600 * 1024, 1).toString('base64')}`;
    const image = await openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: [{ type: 'text', text: 'look' }, { type: 'image_url', image_url: { url: big } }] }] }).catch((e: unknown) => e);
    expect((image as InstanceType<typeof OpenAI.BadRequestError>).error).toMatchObject({ code: 'BAD_INPUT', param: expect.stringMatching(/^messages\.0\.images/) });
    const res = await fetch(`${server.url}/v1/messages`, { method: 'POST', headers: { 'x-api-key': key, 'content-type': 'application/json' }, body: '{not json' });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ type: 'error', error: { type: 'invalid_request_error', message: expect.any(String) } });
    const tags = await openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] }, { headers: { 'x-switchboard-tags': '{"nested": {"a": 1}}' } }).catch((e: unknown) => e);
    expect((tags as InstanceType<typeof OpenAI.BadRequestError>).error).toMatchObject({ code: 'BAD_INPUT' });
    expect((tags as InstanceType<typeof OpenAI.BadRequestError>).error).toMatchObject({ param: expect.stringMatching(/^metadata/) });
    expect(sim().requests.length).toBe(before);
  });

  it('a rate limit: RateLimitError with retry-after (OpenAI and Anthropic), one row for the one admitted call', async () => {
    const { userId, key } = await createUserWithKey(server, 'rpm@example.com');
    await server.app.db.prisma.user.update({ where: { id: userId }, data: { requestsPerMinute: 1 } });
    const openai = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: key, maxRetries: 0 });
    await openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'first' }] });
    const error = await openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'second' }] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    const limited = error as InstanceType<typeof OpenAI.RateLimitError>;
    expect(limited.status).toBe(429);
    expect(Number(limited.headers?.get('retry-after'))).toBeGreaterThan(0);
    expect(limited.error).toMatchObject({ code: 'RATE_LIMITED', type: 'rate_limit_error' });
    const anthropic = new Anthropic({ baseURL: server.url, apiKey: key, maxRetries: 0 });
    await expect(anthropic.messages.create({ model: CLAUDE, max_tokens: 10, messages: [{ role: 'user', content: 'x' }] })).rejects.toBeInstanceOf(Anthropic.RateLimitError);
    expect(await rowsOf(userId)).toHaveLength(1);
  });

  it('a budget refusal: status 402, not retried by either SDK', async () => {
    const { userId, key } = await createUserWithKey(server, 'budget-zero@example.com');
    await server.app.db.prisma.user.update({ where: { id: userId }, data: { monthlyBudgetUsd: '0.0000000001' } });
    const openai = counting((fetch) => new OpenAI({ baseURL: `${server.url}/v1`, apiKey: key, maxRetries: 3, fetch }));
    const error = await openai.client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'spend' }] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(402);
    expect((error as InstanceType<typeof OpenAI.APIError>).error).toMatchObject({ code: 'BUDGET_EXCEEDED' });
    expect(openai.requests()).toBe(1);
    const anthropic = counting((fetch) => new Anthropic({ baseURL: server.url, apiKey: key, maxRetries: 3, fetch }));
    const aError = await anthropic.client.messages.create({ model: CLAUDE, max_tokens: 10, messages: [{ role: 'user', content: 'spend' }] }).catch((e: unknown) => e);
    expect((aError as InstanceType<typeof Anthropic.APIError>).status).toBe(402);
    expect((aError as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({ type: 'error', error: { type: 'billing_error' } });
    expect(anthropic.requests()).toBe(1);
    expect(await rowsOf(userId)).toHaveLength(0);
  });

  it('upstream errors keep the upstream status; retried attempts leave one row each', async () => {
    const { userId, key } = await createUserWithKey(server, 'upstream@example.com');
    const openai = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: key, maxRetries: 0 });
    const error = await openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'refuse me [[fault:provider_error]]' }] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as InstanceType<typeof OpenAI.BadRequestError>).error).toMatchObject({ code: 'UPSTREAM_ERROR' });
    // A guardrail block keeps the gateway's own status too (424), with its own code, never retried.
    const blocked = await openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'block me [[fault:guardrail]]' }] }).withResponse().catch((e: unknown) => e);
    expect((blocked as InstanceType<typeof OpenAI.APIError>).status).toBe(424);
    expect((blocked as InstanceType<typeof OpenAI.APIError>).error).toMatchObject({ code: 'GUARDRAIL_BLOCKED' });
    expect((blocked as InstanceType<typeof OpenAI.APIError>).headers?.get('x-should-retry')).toBe('false');
    const anthropic = new Anthropic({ baseURL: server.url, apiKey: key, maxRetries: 0 });
    const aBlocked = await anthropic.messages.create({ model: CLAUDE, max_tokens: 10, messages: [{ role: 'user', content: 'block me [[fault:guardrail]]' }] }).catch((e: unknown) => e);
    expect((aBlocked as InstanceType<typeof Anthropic.APIError>).status).toBe(424);
    // Two 503s, then the answer: three upstream attempts, three rows of one call.
    sim().injectFault({ type: 'server_error', status: 503 }, { times: 2, match: (r) => r.headers['authorization'] !== undefined && JSON.stringify(r.body).includes('retry me') });
    const answer = await openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'retry me' }] });
    expect(answer.choices[0]!.message.content).toBe('Echo: retry me');
    const rows = await rowsOf(userId);
    expect(rows.map((r) => [r.status, r.surface])).toEqual([['ERROR', 'OPENAI'], ['ERROR', 'OPENAI'], ['ERROR', 'ANTHROPIC'], ['ERROR', 'OPENAI'], ['ERROR', 'OPENAI'], ['OK', 'OPENAI']]);
    expect(new Set(rows.slice(3).map((r) => r.callId)).size).toBe(1);
    expect(rows.slice(3).map((r) => r.attempt)).toEqual([1, 2, 3]);
  });
});

describe('passthrough, headers, idempotency', () => {
  it('an unknown request field reaches the upstream unchanged (chat, responses, messages)', async () => {
    const { key } = await createUserWithKey(server, 'passthrough@example.com');
    const unknown = { future_parameter: { nested: [1, 'two', { three: true }], n: 0.5 }, logit_bias: { '50256': -100 }, user: 'end-user-7' };
    const openai = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: key, maxRetries: 0 });
    const body = { model: MODEL, messages: [{ role: 'user' as const, content: [{ type: 'text' as const, text: 'parts' }], name: 'alice' }], temperature: 0.3, ...unknown };
    await openai.chat.completions.create(body as OpenAI.ChatCompletionCreateParamsNonStreaming);
    const sent = sim().requests.at(-1)!.body as Record<string, unknown>;
    expect(sent).toMatchObject({ ...unknown, temperature: 0.3, messages: body.messages, model: MODEL });
    // No cap from the caller: the model's output cap (DEFAULT_MAX_OUTPUT_TOKENS here), the one reserved, goes upstream.
    expect(sent.max_tokens).toBe(8192);

    await openai.responses.create({ model: MODEL, input: 'hi', ...unknown } as OpenAI.Responses.ResponseCreateParamsNonStreaming);
    expect(sim().requests.at(-1)!.body).toMatchObject({ ...unknown, input: 'hi' });

    const anthropic = new Anthropic({ baseURL: server.url, apiKey: key, maxRetries: 0 });
    const system = [{ type: 'text' as const, text: 'cached system', cache_control: { type: 'ephemeral' as const } }];
    await anthropic.messages.create({ model: CLAUDE, max_tokens: 20, system, messages: [{ role: 'user', content: 'hi' }], ...unknown } as Anthropic.MessageCreateParamsNonStreaming);
    expect(sim().requests.at(-1)!.body).toMatchObject({ ...unknown, system, max_tokens: 20 });

    // embeddings too; the encoding stays behind (upstream is asked for floats, base64 is made here)
    const embedded = await openai.embeddings.create({ model: '@cf/baai/bge-small-en-v1.5', input: ['a', 'b'], encoding_format: 'base64', ...unknown } as OpenAI.EmbeddingCreateParams);
    expect(embedded.data).toHaveLength(2);
    const sentEmbeddings = sim().requests.at(-1)!.body as Record<string, unknown>;
    expect(sentEmbeddings).toMatchObject({ ...unknown, model: '@cf/baai/bge-small-en-v1.5', input: ['a', 'b'] });
    expect(sentEmbeddings).not.toHaveProperty('encoding_format');
  });

  it('x-switchboard-gateway-id, x-switchboard-tags and Idempotency-Key; balance headers', async () => {
    const { userId, key } = await createUserWithKey(server, 'headers@example.com');
    await server.app.db.prisma.user.update({ where: { id: userId }, data: { requestsPerMinute: 100 } });
    const openai = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: key, maxRetries: 0 });
    const headers = { 'x-switchboard-gateway-id': 'gw-compat', 'x-switchboard-tags': '{"app":"billing","tier":2}', 'idempotency-key': 'compat-once-1' };
    const messages = [{ role: 'user' as const, content: 'only once please' }];
    const first = await openai.chat.completions.create({ model: MODEL, messages }, { headers }).withResponse();
    expect(first.response.headers.get('x-ratelimit-remaining-requests')).toBe('99');
    const again = await openai.chat.completions.create({ model: MODEL, messages }, { headers });
    // The repeat is the first reply itself: the same id, model, content and usage.
    expect(again).toEqual(first.data);
    const rows = await rowsOf(userId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ gatewayId: 'gw-compat', tags: { app: 'billing', tier: 2 }, idempotencyKey: 'compat-once-1' });
    expect(sim().requests.at(-1)!.headers['cf-aig-gateway-id']).toBe('gw-compat');
    const conflict = await openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'another input' }] }, { headers }).catch((e: unknown) => e);
    expect(conflict).toBeInstanceOf(OpenAI.ConflictError);
  });
});

describe('caps and idempotent repeats on every SDK surface', () => {
  it('a call without a cap sends the reserved cap upstream; a cap under either OpenAI name goes as sent, alone', async () => {
    const { key } = await createUserWithKey(server, 'caps@example.com');
    const openai = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: key, maxRetries: 0 });
    const sent = () => sim().requests.at(-1)!.body as Record<string, unknown>;
    await openai.responses.create({ model: MODEL, input: 'no cap' });
    expect(sent().max_output_tokens).toBe(8192);
    await openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'new name' }], max_completion_tokens: 33 });
    expect(sent()).toMatchObject({ max_completion_tokens: 33 });
    expect(sent()).not.toHaveProperty('max_tokens');
    await openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'old name' }], max_tokens: 44 });
    expect(sent()).toMatchObject({ max_tokens: 44 });
    expect(sent()).not.toHaveProperty('max_completion_tokens');
  });

  it('a repeat with the same Idempotency-Key is the first reply, byte for byte, streams included; nothing more upstream or in the ledger', async () => {
    const { userId, key } = await createUserWithKey(server, 'repeats@example.com');
    const post = async (path: string, body: Record<string, unknown>, idempotencyKey: string) => {
      const res = await fetch(`${server.url}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'idempotency-key': idempotencyKey, 'anthropic-version': '2023-06-01' },
        body: JSON.stringify(body),
      });
      return { status: res.status, text: await res.text() };
    };
    const calls = [
      ['/v1/chat/completions', { model: MODEL, messages: [{ role: 'user', content: 'repeat me' }] }],
      ['/v1/chat/completions', { model: MODEL, stream: true, messages: [{ role: 'user', content: 'repeat my stream' }] }],
      ['/v1/responses', { model: MODEL, input: 'repeat me' }],
      ['/v1/responses', { model: MODEL, input: 'repeat my stream', stream: true }],
      ['/v1/messages', { model: CLAUDE, max_tokens: 50, messages: [{ role: 'user', content: 'repeat me' }] }],
      ['/v1/messages', { model: CLAUDE, max_tokens: 50, stream: true, messages: [{ role: 'user', content: 'repeat my stream' }] }],
    ] as const;
    const upstream = sim().requests.length;
    for (const [i, [path, body]] of calls.entries()) {
      const first = await post(path, body, `repeat-${i}`);
      expect(first.status, path).toBe(200);
      const again = await post(path, body, `repeat-${i}`);
      expect(again, `${path} ${'stream' in body ? 'stream' : ''}`).toEqual(first);
    }
    expect(sim().requests.length - upstream).toBe(calls.length);
    expect(await rowsOf(userId)).toHaveLength(calls.length);
    // The same key for a stream and a call that is not one, or for another body: a conflict.
    const [path, body] = calls[1];
    const conflict = await post(path, { ...body, messages: [{ role: 'user', content: 'another' }] }, 'repeat-1');
    expect(conflict.status).toBe(409);
    expect((await post(path, { ...body, stream: false }, 'repeat-1')).status).toBe(409);
  });

  it('the reservation counts the body fields that go upstream as they are (tools, schemas): a call whose tools overrun the budget is refused before upstream', async () => {
    const { userId, key } = await createUserWithKey(server, 'tool-heavy@example.com');
    await server.trpc().admin.setUserLimits.mutate({ userId, tokensPerDay: 9_000 });
    const tools = Array.from({ length: 15 }, (_, i) => ({ type: 'function' as const, function: { name: `tool_${i}`, description: 'd'.repeat(4_000), parameters: { type: 'object', properties: {} } } }));
    const openai = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: key, maxRetries: 0 });
    const before = sim().requests.length;
    const refused = await openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }], tools, max_tokens: 10 }).catch((e: unknown) => e);
    expect((refused as InstanceType<typeof OpenAI.APIError>).status).toBe(402);
    expect((refused as InstanceType<typeof OpenAI.APIError>).error).toMatchObject({ code: 'BUDGET_EXCEEDED' });
    const anthropic = new Anthropic({ baseURL: server.url, apiKey: key, maxRetries: 0 });
    const aTools = tools.map((t) => ({ name: t.function.name, description: t.function.description, input_schema: { type: 'object' as const, properties: {} } }));
    const aRefused = await anthropic.messages.create({ model: CLAUDE, max_tokens: 10, tools: aTools, messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    expect((aRefused as InstanceType<typeof Anthropic.APIError>).status).toBe(402);
    expect(sim().requests.length).toBe(before);
    // the same call without the tools fits
    await openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }], max_tokens: 10 });
    expect(sim().requests.length).toBe(before + 1);
  });
});

describe('streams that do not finish', () => {
  it('a client that leaves mid-stream: one CANCELLED row with estimated usage; a cut upstream: an error the SDK raises, one ERROR row', async () => {
    const { userId, key } = await createUserWithKey(server, 'leaver@example.com');
    const controller = new AbortController();
    const res = await fetch(`${server.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': key, 'content-type': 'application/json' },
      body: JSON.stringify({ model: CLAUDE, max_tokens: 100, stream: true, messages: [{ role: 'user', content: 'a slow story of many words [[fault:slow_stream:150]]' }] }),
      signal: controller.signal,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const reader = res.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first).toMatch(/^event: message_start\n/);
    controller.abort();
    await expect.poll(async () => (await rowsOf(userId)).map((r) => r.status), { timeout: 10_000 }).toEqual(['CANCELLED']);
    const [cancelled] = await rowsOf(userId);
    expect(cancelled).toMatchObject({ surface: 'ANTHROPIC', streamed: true });
    expect(cancelled!.inputTokens + cancelled!.cachedInputTokens + cancelled!.cacheWriteTokens).toBeGreaterThan(0);

    const openai = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: key, maxRetries: 0 });
    const consume = async () => {
      for await (const chunk of await openai.chat.completions.create({ model: MODEL, stream: true, messages: [{ role: 'user', content: 'cut me off [[fault:cut_stream:2]]' }] })) void chunk;
    };
    await expect(consume()).rejects.toThrow();
    const rows = await rowsOf(userId);
    expect(rows).toHaveLength(2);
    expect(rows[1]).toMatchObject({ surface: 'OPENAI', status: 'ERROR', usageEstimated: true });
  });
});

describe('one ledger, one budget, three surfaces', () => {
  it('a mixed burst over GraphQL, tRPC and /v1/chat/completions never exceeds the budget', async () => {
    const { userId, key } = await createUserWithKey(server, 'burst@example.com');
    const prompt = 'burst of spending words here [[fault:slow_first_byte:300]]';
    const openai = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: key, maxRetries: 0 });
    // One call to learn its cost, then a budget for a few more: a reservation is the call's upper
    // bound (its bytes and allowances, its max_tokens), several times what such a call costs.
    await openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: prompt }], max_tokens: 40 });
    const [probe] = await rowsOf(userId);
    const cost = Number(probe!.costUsd);
    expect(cost).toBeGreaterThan(0);
    const budget = cost * 30;
    await server.trpc().admin.setUserLimits.mutate({ userId, monthlyBudgetUsd: budget.toFixed(10) });
    const gql = (i: number) => server.gql(`mutation($input: GenerateInput!) { generate(input: $input) { id } }`, { input: { model: MODEL, prompt: `${prompt} g${i}`, maxTokens: 40 } }, key).then((r) => !r.errors);
    const trpc = (i: number) => server.trpc(key, false).generate.mutate({ model: MODEL, prompt: `${prompt} t${i}`, maxTokens: 40 }).then(() => true, () => false);
    const compat = (i: number) => openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: `${prompt} o${i}` }], max_tokens: 40 }).then(() => true, (e: unknown) => {
      expect((e as InstanceType<typeof OpenAI.APIError>).status).toBe(402);
      return false;
    });
    const results = await Promise.all(Array.from({ length: 4 }, (_, i) => [gql(i), trpc(i), compat(i)]).flat());
    const rows = await rowsOf(userId);
    const spent = rows.reduce((sum, r) => sum + Number(r.costUsd ?? 0), 0);
    expect(spent).toBeLessThanOrEqual(budget);
    expect(results.filter(Boolean).length).toBe(rows.length - 1);
    expect(results.filter(Boolean).length).toBeGreaterThan(0);
    expect(results.filter((ok) => !ok).length).toBeGreaterThan(0);
    // Each surface's successful calls are its rows (the probe was one more OPENAI call).
    const okBy = (offset: number) => results.filter((ok, i) => ok && i % 3 === offset).length;
    const rowsBy = (surface: string) => rows.filter((r) => r.surface === surface).length;
    expect([rowsBy('GRAPHQL'), rowsBy('TRPC'), rowsBy('OPENAI')]).toEqual([okBy(0), okBy(1), okBy(2) + 1]);

    // SURFACE: the report splits the same rows by the surface that carried them.
    const report = await server.trpc(key).usage.report.query({ from: new Date(Date.now() - 3_600_000).toISOString(), to: new Date(Date.now() + 60_000).toISOString(), groupBy: ['SURFACE'] });
    const bySurface = Object.fromEntries(report.rows.map((r) => [r.surface, r.requests]));
    const counted: Record<string, number> = {};
    for (const r of rows) counted[r.surface] = (counted[r.surface] ?? 0) + 1;
    expect(bySurface).toEqual(counted);
    expect(report.totals.requests).toBe(rows.length);
  });
});
