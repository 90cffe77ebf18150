// Every input, every transport: a malformed cursor is BAD_INPUT naming `after`; the fields that
// skipped the NUL / control character / lone surrogate rule follow it; a GraphQL syntax error is
// BAD_INPUT over HTTP, SSE and WebSocket; production suggests no field names.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/simulator/server.ts';
import { createClient as createSseClient } from 'graphql-sse';
import { graphqlWs } from '../helpers/clients.ts';
import { trpcErrorData } from '../helpers/errors.ts';
import { createUserWithKey, startTestServer, type TestServer } from '../helpers/server.ts';

const RANGE = { from: '2026-01-01T00:00:00Z', to: '2027-01-01T00:00:00Z' };
/** Base64url of "2026|x", of a date and a non-uuid, of garbage, of a far date: none is a cursor. */
const BAD_CURSORS = ['MjAyNnx4', Buffer.from('2026-01-01T00:00:00.000Z|not-a-uuid').toString('base64url'), 'bm90IGEgY3Vyc29y', Buffer.from('+275760-09-13T00:00:00.000Z|00000000-0000-4000-8000-000000000000').toString('base64url'), '@@@', ''];

let server: TestServer;
let user: { userId: string; key: string };
beforeAll(async () => {
  server = await startTestServer();
  user = await createUserWithKey(server, 'door@example.com');
});
afterAll(async () => {
  await server?.close();
});

describe('malformed cursors', () => {
  it('recentCalls and conversations answer BAD_INPUT (field after) over GraphQL and tRPC', async () => {
    const client = server.trpc(user.key);
    for (const after of BAD_CURSORS) {
      const g = await server.gql<unknown>('query($after: String) { recentCalls(input: { from: "2026-01-01T00:00:00Z", to: "2027-01-01T00:00:00Z", after: $after }) { nextCursor } }', { after }, user.key);
      expect(g.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_INPUT', field: 'after' });
      const c = await server.gql<unknown>('query($after: String) { conversations(after: $after) { pageInfo { hasNextPage } } }', { after }, user.key);
      expect(c.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_INPUT', field: 'after' });
      expect(await trpcErrorData(client.usage.recentCalls.query({ ...RANGE, after }))).toMatchObject({ appCode: 'BAD_INPUT', field: 'after' });
      expect(await trpcErrorData(client.conversations.list.query({ after }))).toMatchObject({ appCode: 'BAD_INPUT', field: 'after' });
    }
  });
});

describe('the safe-text rule on every text field', () => {
  const TOOLS = [{ name: 'weather', parameters: { type: 'object' } }];
  it.each([
    ['tools.0.description', { prompt: 'hi', tools: [{ ...TOOLS[0], description: 'bad\u0000' }] }],
    ['stop.0', { prompt: 'hi', stop: ['a\uDC00'] }],
    ['messages.1.toolCalls.0.id', { messages: [{ role: 'user', content: 'q' }, { role: 'assistant', content: '', toolCalls: [{ id: 'c\u0007', name: 'weather', arguments: '{}' }] }, { role: 'tool', content: 'x', toolCallId: 'c' }, { role: 'user', content: 'ok' }] }],
  ])('generate: %s', async (field, input) => {
    const error = await trpcErrorData(server.trpc(user.key).generate.mutate({ model: 'openai/gpt-5.5', ...input } as never));
    expect(error).toMatchObject({ appCode: 'BAD_INPUT', field });
  });

  it('chat: toolResults.content and toolResults.toolCallId', async () => {
    const client = server.trpc(user.key);
    const id = '00000000-0000-4000-8000-000000000000';
    expect(await trpcErrorData(client.chat.mutate({ model: 'openai/gpt-5.5', conversationId: id, toolResults: [{ toolCallId: 'c1', content: 'x\uD800' }] }))).toMatchObject({ appCode: 'BAD_INPUT', field: 'toolResults.0.content' });
    expect(await trpcErrorData(client.chat.mutate({ model: 'openai/gpt-5.5', conversationId: id, toolResults: [{ toolCallId: 'c\u0000', content: 'x' }] }))).toMatchObject({ appCode: 'BAD_INPUT', field: 'toolResults.0.toolCallId' });
  });
});

describe('the safe-text rule on the operators\' text fields', () => {
  // Found by the transport fuzz (FUZZ_SEED=1590075887, PostgreSQL): a team named "\uD800" reached
  // the audit log's JSON details, which PostgreSQL refuses (a lone surrogate is not UTF-8): 500.
  const LONE = 'x\uD800';
  const id = '00000000-0000-4000-8000-000000000000';
  it.each([
    ['name', (c: ReturnType<TestServer['trpc']>) => c.admin.teams.create.mutate({ name: LONE })],
    ['webhookUrl', (c: ReturnType<TestServer['trpc']>) => c.admin.budgetAlerts.create.mutate({ scope: 'USER', subjectId: id, thresholdPercent: 50, webhookUrl: `https://hooks.example.com/${LONE}` })],
    ['after', (c: ReturnType<TestServer['trpc']>) => c.admin.auditLog.query({ after: LONE })],
    ['id', (c: ReturnType<TestServer['trpc']>) => c.apiKeys.setLimits.mutate({ id: LONE, requestsPerMinute: 5 })],
    ['userId', (c: ReturnType<TestServer['trpc']>) => c.admin.exportUserData.query({ userId: LONE })],
  ])('tRPC: %s', async (field, call) => {
    expect(await trpcErrorData(call(server.trpc(server.adminKey)))).toMatchObject({ appCode: 'BAD_INPUT', field });
  });

  it('GraphQL: createTeam with a lone surrogate or NUL in its name is BAD_INPUT, and no team is made', async () => {
    for (const name of [LONE, 'a\u0000b']) {
      const r = await server.gql<unknown>('mutation($input: CreateTeamInput!) { createTeam(input: $input) { id } }', { input: { name } });
      expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_INPUT', field: 'name' });
    }
    expect(await server.app.db.prisma.team.count({ where: { name: { startsWith: 'x' } } })).toBe(0);
  });
});

describe('GraphQL syntax errors', () => {
  const BROKEN = 'subscription { generateStream(input: {model: "x", prompt: "y"}) { __typename ';
  it('are BAD_INPUT over HTTP, SSE (graphql-sse both modes, yoga SSE) and WebSocket', async () => {
    const http = await server.gql<unknown>(BROKEN, {}, user.key);
    expect(http.status).toBe(400);
    expect(http.errors?.[0]?.extensions?.code).toBe('BAD_INPUT');
    for (const singleConnection of [false, true]) {
      const client = createSseClient({ url: `${server.url}/graphql/stream`, headers: { authorization: `Bearer ${user.key}` }, retryAttempts: 0, singleConnection });
      const results = await new Promise<unknown[]>((resolve, reject) => {
        const got: unknown[] = [];
        client.subscribe({ query: BROKEN }, { next: (v) => void got.push(v), error: reject, complete: () => resolve(got) });
      });
      client.dispose();
      expect(results).toMatchObject([{ data: null, errors: [{ extensions: { code: 'BAD_INPUT' } }] }]);
    }
    // yoga's own SSE on /graphql: the event carries the code
    const raw = await fetch(`${server.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${user.key}` }, body: JSON.stringify({ query: BROKEN }) });
    expect(await raw.text()).toContain('"code":"BAD_INPUT"');
    const ws = await graphqlWs(server.url, user.key, BROKEN, {});
    expect((ws.errors[0] as { extensions?: { code?: string } }).extensions?.code).toBe('BAD_INPUT');
  });
});

describe('production', () => {
  let sim: Simulator;
  let prod: TestServer;
  const ADMIN = 'production-admin-key-0123456789abcdef';
  beforeAll(async () => {
    sim = await startSimulator();
    prod = await startTestServer({
      NODE_ENV: 'production',
      CLOUDFLARE_API_TOKEN: 'prod-token',
      CLOUDFLARE_ACCOUNT_ID: 'prod-account',
      CLOUDFLARE_API_BASE_URL: sim.baseUrl,
      ADMIN_API_KEY: ADMIN,
      METRICS_TOKEN: 'prod-metrics-token-0123456789',
    });
  });
  afterAll(async () => {
    await prod?.close();
    await sim?.close();
  });

  it('suggests no field, argument or enum names', async () => {
    for (const query of ['{ usageRepor { totalTokens } }', '{ me { emial } }', '{ recentCalls(input: { from: "2026-01-01T00:00:00Z", to: "2027-01-01T00:00:00Z", status: [OKK] }) { nextCursor } }']) {
      const res = await prod.gql<unknown>(query, {}, ADMIN);
      expect(res.errors?.[0]?.extensions?.code).toBe('BAD_INPUT');
      expect(JSON.stringify(res.errors)).not.toMatch(/Did you mean/);
    }
    const variables = await prod.gql<unknown>('query($s: [CallStatus!]) { recentCalls(input: { from: "2026-01-01T00:00:00Z", to: "2027-01-01T00:00:00Z", status: $s }) { nextCursor } }', { s: ['OKK'] }, ADMIN);
    expect(variables.errors?.[0]?.extensions?.code).toBe('BAD_INPUT');
    expect(JSON.stringify(variables.errors)).not.toMatch(/Did you mean/);
    // outside production the suggestion helps
    expect(JSON.stringify((await server.gql<unknown>('{ usageRepor { totalTokens } }', {}, user.key)).errors)).toMatch(/Did you mean/);
  });

  it('suggests none over SSE and WebSocket either', async () => {
    const TYPO = 'subscription { generateStrem(input: { model: "openai/gpt-5.5", prompt: "hi" }) { __typename } }';
    const raw = await fetch(`${prod.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${ADMIN}` }, body: JSON.stringify({ query: TYPO }) });
    const sse = await raw.text();
    expect(sse).toContain('"code":"BAD_INPUT"');
    expect(sse).not.toMatch(/Did you mean/);
    const client = createSseClient({ url: `${prod.url}/graphql/stream`, headers: { authorization: `Bearer ${ADMIN}` }, retryAttempts: 0, singleConnection: true });
    const results = await new Promise<unknown[]>((resolve, reject) => {
      const got: unknown[] = [];
      client.subscribe({ query: TYPO }, { next: (v) => void got.push(v), error: reject, complete: () => resolve(got) });
    });
    client.dispose();
    expect(results).toMatchObject([{ errors: [{ extensions: { code: 'BAD_INPUT' } }] }]);
    expect(JSON.stringify(results)).not.toMatch(/Did you mean/);
    const ws = await graphqlWs(prod.url, ADMIN, TYPO, {});
    expect((ws.errors[0] as { extensions?: { code?: string } }).extensions?.code).toBe('BAD_INPUT');
    expect(JSON.stringify(ws.errors)).not.toMatch(/Did you mean/);
  });
});
