// Keys are a boundary. What an admin set on a key (limits, allowedModels, expiresAt) only an admin
// loosens or removes; a key with any admin-set restriction cannot create, rotate or revoke keys
// (it used to lift its own allow-list and mint unrestricted keys that outlived its revocation).
// Revoking or rotating a key ends its open streams on every SSE transport within 1 s of the
// revoking mutation's answer: an UNAUTHENTICATED error event, then the end (they used to run to
// completion, ~6.5 s).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectTrpc, trpcHttp } from '../helpers/clients.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { readSse, type SseReader } from './sse-reader.ts';
import { metricValue } from '../limits/helpers.ts';

let server: TestServer;
let userId: string;
beforeAll(async () => {
  server = await startTestServer();
  userId = (await server.trpc().admin.createUser.mutate({ email: 'edge-keys@example.com' })).id;
});
afterAll(async () => {
  await server?.close();
});

const adminKey = (input: { name: string; allowedModels?: string[]; limits?: { tokensPerDay?: number }; expiresAt?: string }) =>
  server.trpc().admin.createApiKey.mutate({ userId, ...input });

async function refused(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    return (error as { data?: { appCode?: string } }).data?.appCode;
  }
}

describe('admin-set restrictions', () => {
  it('a key an admin limited to one model cannot lift its allow-list nor manage keys (tRPC and GraphQL)', async () => {
    const limited = await adminKey({ name: 'one model', allowedModels: ['openai/gpt-5.5'] });
    const own = server.trpc(limited.secret);
    const id = limited.apiKey.id;
    expect(await refused(own.apiKeys.setLimits.mutate({ id, allowedModels: [] }))).toBe('FORBIDDEN');
    expect(await refused(own.apiKeys.setLimits.mutate({ id, allowedModels: ['openai/gpt-5.5', 'anthropic/claude-sonnet-4-5'] }))).toBe('FORBIDDEN');
    expect(await refused(own.apiKeys.create.mutate({ name: 'escape' }))).toBe('FORBIDDEN');
    expect(await refused(own.apiKeys.rotate.mutate({ id }))).toBe('FORBIDDEN');
    expect(await refused(own.apiKeys.revoke.mutate({ id }))).toBe('FORBIDDEN');
    expect(await refused(own.apiKeys.revokeAll.mutate({}))).toBe('FORBIDDEN');
    const gql = await server.gql<{ createApiKey: unknown }>('mutation { createApiKey(input: {name: "escape"}) { secret } }', {}, limited.secret);
    expect(gql.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const lift = await server.gql('mutation { setApiKeyLimits(input: {id: "' + id + '", allowedModels: []}) { id } }', {}, limited.secret);
    expect(lift.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    // nothing was minted, and the allow-list is still one model
    const keys = await server.trpc().apiKeys.list.query({ userId });
    expect(keys.find((k) => k.id === id)?.allowedModels).toEqual(['openai/gpt-5.5']);
    expect(keys.filter((k) => k.name === 'escape')).toEqual([]);
  });

  it('an admin-set limit can be tightened by the key itself, loosened or removed only by an admin', async () => {
    const plain = await adminKey({ name: 'plain' });
    const own = server.trpc(plain.secret);
    const id = plain.apiKey.id;
    // no admin restriction yet: the key manages keys and its own limits
    const minted = await own.apiKeys.create.mutate({ name: 'minted by plain', limits: { tokensPerDay: 100 } });
    expect((await own.apiKeys.setLimits.mutate({ id: minted.apiKey.id, tokensPerDay: null })).limits.tokensPerDay).toBeNull();
    await server.trpc().apiKeys.setLimits.mutate({ id, tokensPerDay: 1_000 });
    expect((await own.apiKeys.setLimits.mutate({ id, tokensPerDay: 500 })).limits.tokensPerDay).toBe(500);
    expect(await refused(own.apiKeys.setLimits.mutate({ id, tokensPerDay: 2_000 }))).toBe('FORBIDDEN');
    expect(await refused(own.apiKeys.setLimits.mutate({ id, tokensPerDay: null }))).toBe('FORBIDDEN');
    expect(await refused(own.apiKeys.create.mutate({ name: 'escape' }))).toBe('FORBIDDEN');
    // the admin lifts it: the key is the owner's again
    await server.trpc().apiKeys.setLimits.mutate({ id, tokensPerDay: null });
    expect((await own.apiKeys.setLimits.mutate({ id, tokensPerDay: 5_000 })).limits.tokensPerDay).toBe(5_000);
    expect((await own.apiKeys.setLimits.mutate({ id, tokensPerDay: null })).limits.tokensPerDay).toBeNull();
    await own.apiKeys.revoke.mutate({ id: minted.apiKey.id });
  });

  it('an admin-set expiry is a restriction: that key cannot mint a key without one', async () => {
    const expiring = await adminKey({ name: 'expiring', expiresAt: new Date(Date.now() + 3_600_000).toISOString() });
    expect(await refused(server.trpc(expiring.secret).apiKeys.create.mutate({ name: 'forever' }))).toBe('FORBIDDEN');
  });
});

const SLOW = '[[fault:slow_stream:250]] ' + Array.from({ length: 40 }, (_, i) => `w${i}`).join(' ');
const SUBSCRIPTION = `subscription { generateStream(input: {model: "openai/gpt-5.5", prompt: "${SLOW}"}) { __typename } }`;

/** Opens a slow stream over one transport; resolves once its first event arrived. */
type Opener = (key: string) => Promise<SseReader>;

const yogaSse: Opener = async (key) => {
  const res = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', accept: 'text/event-stream' },
    body: JSON.stringify({ query: SUBSCRIPTION }),
  });
  return readSse(res.body!);
};
const graphqlSseDistinct: Opener = async (key) => {
  const res = await fetch(`${server.url}/graphql/stream`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', accept: 'text/event-stream' },
    body: JSON.stringify({ query: SUBSCRIPTION }),
  });
  return readSse(res.body!);
};
const graphqlSseSingle: Opener = async (key) => {
  const auth = { authorization: `Bearer ${key}` };
  const token = await (await fetch(`${server.url}/graphql/stream`, { method: 'PUT', headers: auth })).text();
  const res = await fetch(`${server.url}/graphql/stream`, { headers: { ...auth, accept: 'text/event-stream', 'x-graphql-event-stream-token': token } });
  const reader = readSse(res.body!);
  const post = await fetch(`${server.url}/graphql/stream`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json', 'x-graphql-event-stream-token': token },
    body: JSON.stringify({ query: SUBSCRIPTION, extensions: { operationId: 'op' } }),
  });
  expect(post.status).toBe(202);
  return reader;
};

/** `switchboard_internal_errors_total{where="stream"}`, 0 before the first. */
const streamInternalErrors = () => metricValue(server.url, 'switchboard_internal_errors_total', 'where="stream"');

const isUnauthenticated = (data: string) => data.includes('"UNAUTHENTICATED"');

describe('revocation ends streams within 1 s', () => {
  for (const [name, open] of [
    ['GraphQL over SSE', yogaSse],
    ['graphql-sse distinct connections', graphqlSseDistinct],
    ['graphql-sse single connection', graphqlSseSingle],
  ] as const) {
    for (const how of ['revoke', 'rotate'] as const) {
      it(`${name}: ${how}`, async () => {
        const created = await adminKey({ name: `${name} ${how}` });
        const internalBefore = await streamInternalErrors();
        const stream = await open(created.secret);
        await stream.waitFor((e) => e.event === 'next' && e.data.includes('TextDelta'));
        if (how === 'revoke') await server.trpc().apiKeys.revoke.mutate({ id: created.apiKey.id });
        else await server.trpc().apiKeys.rotate.mutate({ id: created.apiKey.id });
        const answered = performance.now();
        const error = await stream.waitFor((e) => e.event === 'next' && isUnauthenticated(e.data), 5_000);
        expect(error.at - answered).toBeLessThan(1_000);
        const complete = await stream.waitFor((e) => e.event === 'complete', 5_000);
        expect(complete.at - answered).toBeLessThan(1_000);
        // nothing after the end but the end
        expect(stream.events.filter((e) => e.at > complete.at && e.event === 'next')).toEqual([]);
        expect((await stream.ended) - answered).toBeLessThan(1_000);
        await stream.cancel();
        // An ending the server chose is not an internal error (it used to count and log one).
        expect(await streamInternalErrors()).toBe(internalBefore);
      });
    }
  }

  it('tRPC over SSE: revoke', async () => {
    const created = await adminKey({ name: 'trpc sse' });
    const client = trpcHttp(server.url, created.secret);
    let firstEvent: () => void = () => {};
    const first = new Promise<void>((r) => (firstEvent = r));
    let answered = 0;
    const outcome = collectTrpc<{ type: string }>((h) =>
      client.generateStream.subscribe({ model: 'openai/gpt-5.5', prompt: SLOW }, { ...h, onData: (d) => (firstEvent(), h.onData(d as { type: string })) }),
    ).then(
      () => ({ error: undefined, at: performance.now() }),
      (error: unknown) => ({ error: error as { data?: { appCode?: string } }, at: performance.now() }),
    );
    await first;
    await server.trpc().apiKeys.revoke.mutate({ id: created.apiKey.id });
    answered = performance.now();
    const result = await outcome;
    expect(result.error?.data?.appCode).toBe('UNAUTHENTICATED');
    expect(result.at - answered).toBeLessThan(1_000);
  });

  // The drop-in SDK surfaces' streams (they ran on to their [DONE] after a revocation): the SDK's
  // own error frame, then the end.
  for (const [path, body, isError] of [
    ['/v1/chat/completions', { model: 'openai/gpt-5.5', stream: true, messages: [{ role: 'user', content: SLOW }] }, (e: { data: string }) => isUnauthenticated(e.data)],
    ['/v1/messages', { model: 'anthropic/claude-sonnet-4-5', max_tokens: 200, stream: true, messages: [{ role: 'user', content: SLOW }] }, (e: { event: string; data: string }) => e.event === 'error' && e.data.includes('authentication_error')],
  ] as const) {
    it(`${path} stream: revoke`, async () => {
      const created = await adminKey({ name: `sdk ${path}` });
      const res = await fetch(`${server.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${created.secret}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect(res.status).toBe(200);
      const stream = readSse(res.body!);
      await stream.waitFor((e) => e.data.includes('w1'));
      await server.trpc().apiKeys.revoke.mutate({ id: created.apiKey.id });
      const answered = performance.now();
      const error = await stream.waitFor(isError, 5_000);
      expect(error.at - answered).toBeLessThan(1_000);
      expect((await stream.ended) - answered).toBeLessThan(1_000);
      expect(stream.events.filter((e) => e.at > error.at)).toEqual([]);
    });
  }
});
