// Failures and cancellation: contract codes, ERROR / CANCELLED records, partial text kept,
// upstream socket closed, server still serving; bad input refused before anything goes upstream.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectTrpc, graphqlSse, graphqlWs, trpcHttp, trpcWs } from '../helpers/clients.ts';
import { createUserWithKey, startTestServer, type TestServer } from '../helpers/server.ts';
import { trpcErrorData } from '../helpers/errors.ts';

let server: TestServer;
let key: string;
let userId: string;

beforeAll(async () => {
  server = await startTestServer({ MAX_MESSAGE_BYTES: '2000', UPSTREAM_MAX_RETRIES: '1' });
  ({ key, userId } = await createUserWithKey(server, 'faults@example.com'));
});
afterAll(async () => {
  await server?.close();
});

const rows = () => server.app.db.prisma.usageRecord.findMany({ where: { userId }, orderBy: { createdAt: 'asc' } });
const sim = () => server.app.simulator!;

async function stillServing() {
  const ok = await trpcHttp(server.url, key).generate.mutate({ model: 'openai/gpt-5.5', prompt: 'still there?' });
  expect(ok.text).toBe('Echo: still there?');
}

describe('upstream faults give contract codes and ERROR records', () => {
  it.each([
    ['rate_limit:3', 'RATE_LIMITED'],
    ['server_error:500', 'UPSTREAM_ERROR'],
    ['guardrail', 'GUARDRAIL_BLOCKED'],
    ['provider_error:openai', 'UPSTREAM_ERROR'],
  ])('non-streaming [[fault:%s]] -> %s', async (fault, code) => {
    const before = (await rows()).length;
    const sent = sim().requests.length;
    const data = await trpcErrorData(trpcHttp(server.url, key).generate.mutate({ model: 'openai/gpt-5.5', prompt: `hello [[fault:${fault}]]` }));
    expect(data.appCode).toBe(code);
    if (code === 'RATE_LIMITED') expect(data.retryAfterMs).toBe(3000);
    // One row per upstream request: a retried 429 / 5xx leaves one row per attempt, sharing callId.
    const requests = sim().requests.slice(sent);
    const added = (await rows()).slice(before);
    expect(added.length).toBe(requests.length);
    expect(added.length).toBe(code === 'RATE_LIMITED' ? 2 : 1); // 429 with retry-after 3 s is retried once (UPSTREAM_MAX_RETRIES=1)
    expect(added.map((r) => r.id).sort()).toEqual(requests.map((r) => r.headers['cf-aig-event-id']).sort());
    expect(added.map((r) => r.attempt)).toEqual(added.map((_, i) => i + 1));
    expect(new Set(added.map((r) => r.callId))).toEqual(new Set([added[0]!.id]));
    for (const row of added) expect(row).toMatchObject({ status: 'ERROR', errorCode: code, inputTokens: 0, outputTokens: 0, usageEstimated: false });
    await stillServing();
  });

  it.each([
    ['cut_stream:2', 'UPSTREAM_ERROR'],
    ['malformed_chunk:2', 'UPSTREAM_ERROR'],
    ['error_frame:2', 'UPSTREAM_ERROR'],
  ])('mid-stream [[fault:%s]] over graphql-sse and tRPC -> %s, partial text kept in the conversation', async (fault, code) => {
    for (const model of ['openai/gpt-5.5', 'anthropic/claude-sonnet-4-5']) {
      const before = (await rows()).length;
      const message = `alpha beta gamma delta epsilon [[fault:${fault}]]`;
      const { events, errors } = await graphqlSse<{ __typename: string; conversation?: { id: string }; text?: string }>(
        server.url,
        key,
        'subscription($input: ChatInput!) { chatStream(input: $input) { __typename ... on ConversationStarted { conversation { id } } ... on TextDelta { text } } }',
        { input: { model, message } },
      );
      expect((errors[0] as { extensions?: { code?: string } }).extensions?.code).toBe(code);
      const deltas = events.filter((e) => e.__typename === 'TextDelta').map((e) => e.text).join('');
      expect(deltas.length).toBeGreaterThan(0);
      const after = await rows();
      expect(after).toHaveLength(before + 1);
      expect(after.at(-1)).toMatchObject({ status: 'ERROR', errorCode: code, streamed: true });
      const conversationId = events[0]!.conversation!.id;
      const conversation = await trpcHttp(server.url, key).conversations.get.query({ id: conversationId });
      expect(conversation.messages.map((m) => [m.role, m.status])).toEqual([
        ['USER', 'COMPLETE'],
        ['ASSISTANT', 'PARTIAL'],
      ]);
      expect(conversation.messages[1]!.content).toBe(deltas);

      const trpcData = await trpcErrorData(collectTrpc((h) => trpcHttp(server.url, key).generateStream.subscribe({ model, prompt: message }, h as never)));
      expect(trpcData.appCode).toBe(code);
    }
    await stillServing();
  });

  it('429 is retried (bounded) before any byte reached the caller, then succeeds', async () => {
    sim().injectFault({ type: 'rate_limit', retryAfterSeconds: 0 } as never, { times: 1, match: (r) => JSON.stringify(r.body).includes('retry me') });
    const before = sim().requests.length;
    const ok = await trpcHttp(server.url, key).generate.mutate({ model: 'openai/gpt-5.5', prompt: 'retry me' });
    expect(ok.text).toBe('Echo: retry me');
    expect(sim().requests.length - before).toBe(2);
    sim().clearFaults();
  });
});

describe('cancellation', () => {
  it.each(['graphql-ws', 'trpc-ws', 'graphql-sse', 'trpc-sse'])('a client that drops a slow %s stream leaves a CANCELLED record with the partial text, and the upstream socket is closed', async (transport) => {
    const message = `one two three four five six seven eight nine ten eleven twelve [[fault:slow_stream:150]]`;
    const input = { model: 'anthropic/claude-sonnet-4-5', message };
    const stopAfter = (events: Array<{ __typename?: string; type?: string }>) => events.filter((e) => e.__typename === 'TextDelta' || e.type === 'delta').length >= 2;
    const closed = sim().nextConnectionClose();
    const startedAt = Date.now();
    let events: Array<{ __typename?: string; type?: string; conversation?: { id: string } }> = [];
    const query = 'subscription($input: ChatInput!) { chatStream(input: $input) { __typename ... on ConversationStarted { conversation { id } } ... on TextDelta { text } } }';
    if (transport === 'graphql-ws') events = (await graphqlWs(server.url, key, query, { input }, stopAfter)).events;
    if (transport === 'graphql-sse') events = (await graphqlSse(server.url, key, query, { input }, stopAfter)).events;
    if (transport === 'trpc-sse') events = await collectTrpc((h) => trpcHttp(server.url, key).chatStream.subscribe(input, h as never), stopAfter);
    if (transport === 'trpc-ws') {
      const ws = trpcWs(server.url, key);
      events = await collectTrpc((h) => ws.client.chatStream.subscribe(input, h as never), stopAfter);
      await ws.close();
    }
    await closed;
    // The upstream call stopped long before the 13 slow chunks would have finished (~2 s).
    expect(Date.now() - startedAt).toBeLessThan(1_800);
    const conversationId = (events[0] as { conversation: { id: string } }).conversation.id;
    const record = await waitFor(async () => server.app.db.prisma.usageRecord.findFirst({ where: { conversationId, status: 'CANCELLED' } }));
    expect(record).toMatchObject({ status: 'CANCELLED', streamed: true });
    expect(record.inputTokens + record.cachedInputTokens).toBeGreaterThan(0);
    const messages = await waitFor(async () => {
      const c = await trpcHttp(server.url, key).conversations.get.query({ id: conversationId });
      return c.messages.length === 2 ? c.messages : undefined;
    });
    expect(messages[1]).toMatchObject({ role: 'ASSISTANT', status: 'PARTIAL' });
    expect(messages[1]!.content.startsWith('Echo: one')).toBe(true);
    expect(messages[1]!.content.length).toBeLessThan('Echo: one two three four five six seven eight nine ten eleven twelve'.length);
    expect(await server.app.db.prisma.usageRecord.count({ where: { conversationId } })).toBe(1);
  });
});

describe('bad input is refused before anything goes upstream', () => {
  it.each([
    ['an unknown conversation', { model: 'openai/gpt-5.5', message: 'hi', conversationId: '01a20000-0000-7000-8000-00000000abcd' }, 'NOT_FOUND', undefined],
    ['an empty message', { model: 'openai/gpt-5.5', message: '   ' }, 'BAD_INPUT', 'message'],
    ['a message over the size limit', { model: 'openai/gpt-5.5', message: 'x'.repeat(2001) }, 'BAD_INPUT', 'message'],
    ['an unknown gateway', { model: 'openai/gpt-5.5', message: 'hi', gatewayId: 'nope' }, 'BAD_INPUT', 'gatewayId'],
    ['an unknown api', { model: 'openai/gpt-5.5', message: 'hi', api: 'SOAP' }, 'BAD_INPUT', 'api'],
    ['negative maxTokens', { model: 'openai/gpt-5.5', message: 'hi', maxTokens: -1 }, 'BAD_INPUT', 'maxTokens'],
    ['metadata with 6 entries', { model: 'openai/gpt-5.5', message: 'hi', metadata: { a: 1, b: 2, c: 3, d: 4, e: 5, f: 6 } }, 'BAD_INPUT', 'metadata'],
    ['nested metadata', { model: 'openai/gpt-5.5', message: 'hi', metadata: { a: { b: 1 } } }, 'BAD_INPUT', 'metadata'], // contract v3: field metadata
  ])('chat with %s', async (_name, input, code, field) => {
    const before = sim().requests.length;
    const rowsBefore = (await rows()).length;
    const data = await trpcErrorData(trpcHttp(server.url, key).chat.mutate(input as never));
    expect(data.appCode).toBe(code);
    if (field) expect(data.field).toBe(field);
    const gql = await server.gql('mutation($input: ChatInput!) { chat(input: $input) { generation { id } } }', { input }, key);
    expect(gql.errors?.[0]?.extensions?.code).toBe(code);
    expect(sim().requests.length).toBe(before);
    expect(await rows()).toHaveLength(rowsBefore);
  });

  it.each([
    ['an empty prompt', { model: 'openai/gpt-5.5', prompt: '' }, 'prompt'],
    ['both prompt and messages', { model: 'openai/gpt-5.5', prompt: 'a', messages: [{ role: 'user', content: 'b' }] }, 'prompt'],
    ['neither prompt nor messages', { model: 'openai/gpt-5.5' }, 'prompt'],
    ['an empty model', { model: '', prompt: 'hi' }, 'model'],
    ['a prompt over the size limit', { model: 'openai/gpt-5.5', prompt: 'y'.repeat(2001) }, 'prompt'],
  ])('generate with %s', async (_name, input, field) => {
    const before = sim().requests.length;
    const data = await trpcErrorData(trpcHttp(server.url, key).generate.mutate(input as never));
    expect(data).toMatchObject({ appCode: 'BAD_INPUT', field });
    const gql = await server.gql('mutation($input: GenerateInput!) { generate(input: $input) { id } }', { input }, key);
    expect(gql.errors?.[0]?.extensions?.code).toBe('BAD_INPUT');
    expect(sim().requests.length).toBe(before);
  });
});

async function waitFor<T>(probe: () => Promise<T | null | undefined>, timeoutMs = 5_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('a client that leaves a non-streaming call', () => {
  it.each(['graphql', 'trpc'])('over %s: the upstream request is aborted and a CANCELLED record is left', async (api) => {
    const prompt = `leave me ${api} [[fault:slow_first_byte:3000]]`;
    const controller = new AbortController();
    const closed = sim().nextConnectionClose();
    const startedAt = Date.now();
    const call =
      api === 'graphql'
        ? fetch(`${server.url}/graphql`, {
            method: 'POST',
            signal: controller.signal,
            headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
            body: JSON.stringify({ query: 'mutation($input: GenerateInput!) { generate(input: $input) { id } }', variables: { input: { model: 'openai/gpt-5.5', prompt } } }),
          })
        : fetch(`${server.url}/trpc/generate`, {
            method: 'POST',
            signal: controller.signal,
            headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
            body: JSON.stringify({ model: 'openai/gpt-5.5', prompt }),
          });
    call.catch(() => {});
    while (!sim().requests.some((r) => JSON.stringify(r.body).includes(`leave me ${api}`))) await new Promise((r) => setTimeout(r, 10));
    controller.abort();
    await closed;
    expect(Date.now() - startedAt).toBeLessThan(2_500);
    const record = await waitFor(() => server.app.db.prisma.usageRecord.findFirst({ where: { userId, status: 'CANCELLED', streamed: false, transport: api === 'graphql' ? 'graphql-http' : 'trpc-http' } }));
    expect(record.requestedModel).toBe('openai/gpt-5.5');
  });
});
