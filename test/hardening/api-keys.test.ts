// Keys people can manage: list (no secret), rotate, expire, revoke all, a per-user cap; revocation
// and rotation close the key's sockets; across instances a rotated secret stops at once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { trpcCode } from '../helpers/errors.ts';
import { CLUSTER_ADMIN_KEY, startCluster, type Cluster } from '../helpers/processes.ts';
import { createUserWithKey, startTestServer, type TestServer } from '../helpers/server.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ MAX_KEYS_PER_USER: '3', WS_AUTH_TIMEOUT_MS: '400', WS_MAX_SOCKETS_PER_KEY: '2', WS_MAX_SUBSCRIPTIONS_PER_KEY: '1', AUTH_CACHE_TTL_MS: '60000' });
}, 180_000);
afterAll(async () => {
  await server?.close();
});

describe('listing, rotating, expiring, revoking all', () => {
  it('a listed key shows no secret (GraphQL and tRPC)', async () => {
    const { userId, key } = await createUserWithKey(server, 'list@example.com');
    const listed = await server.trpc(key).apiKeys.list.query();
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ userId, name: 'test', revokedAt: null, expiresAt: null, allowedModels: [] });
    expect(JSON.stringify(listed)).not.toContain(key.split('_').slice(2).join('_'));
    expect(Object.keys(listed[0]!)).not.toContain('secret');
    expect(Object.keys(listed[0]!)).not.toContain('secretHash');
    const gql = await server.gql<{ apiKeys: Array<Record<string, unknown>> }>('{ apiKeys { id name prefix createdAt lastUsedAt expiresAt revokedAt limits { requestsPerMinute } allowedModels } }', {}, key);
    expect(gql.data?.apiKeys).toHaveLength(1);
    expect(gql.data!.apiKeys[0]!.lastUsedAt).not.toBeNull();
    // a user cannot list another's keys; an admin can
    const other = await createUserWithKey(server, 'other@example.com');
    expect(await trpcCode(server.trpc(other.key).apiKeys.list.query({ userId }))).toBe('NOT_FOUND');
    expect(await server.trpc().apiKeys.list.query({ userId })).toHaveLength(1);
  });

  it('lastUsedAt is written at most once a minute per key, not on every call', async () => {
    const { key } = await createUserWithKey(server, 'last-used@example.com');
    const client = server.trpc(key);
    await client.me.query();
    // the write is best effort, after the call: wait for it
    let first: string | null = null;
    for (let i = 0; i < 50 && !first; i++) {
      first = (await client.apiKeys.list.query())[0]!.lastUsedAt as string | null;
      if (!first) await new Promise((r) => setTimeout(r, 100));
    }
    expect(first).not.toBeNull();
    await new Promise((r) => setTimeout(r, 20));
    for (let i = 0; i < 5; i++) await client.me.query();
    await new Promise((r) => setTimeout(r, 300));
    expect((await client.apiKeys.list.query())[0]!.lastUsedAt).toBe(first);
  });

  it("a rotated key's old secret is UNAUTHENTICATED at once; the new one works, same id", async () => {
    const { key } = await createUserWithKey(server, 'rotate@example.com');
    const client = server.trpc(key);
    const [listed] = await client.apiKeys.list.query();
    const rotated = await client.apiKeys.rotate.mutate({ id: listed!.id });
    expect(rotated.apiKey.id).toBe(listed!.id);
    expect(rotated.secret).not.toBe(key);
    expect(await trpcCode(server.trpc(key).me.query())).toBe('UNAUTHENTICATED');
    expect((await server.trpc(rotated.secret).me.query()).email).toBe('rotate@example.com');
    const gql = await server.gql<{ rotateApiKey: { secret: string; apiKey: { id: string; rotatedAt: string } } }>(`mutation { rotateApiKey(id: "${listed!.id}") { secret apiKey { id rotatedAt } } }`, {}, rotated.secret);
    expect(gql.data?.rotateApiKey.apiKey.id).toBe(listed!.id);
    expect(await trpcCode(server.trpc(rotated.secret).me.query())).toBe('UNAUTHENTICATED');
  });

  it('an expired key is refused; a date in the past is BAD_INPUT', async () => {
    const admin = server.trpc();
    const user = await admin.admin.createUser.mutate({ email: 'expire@example.com' });
    const created = await admin.admin.createApiKey.mutate({ userId: user.id, expiresAt: new Date(Date.now() + 1_500).toISOString() } as never);
    expect((await server.trpc(created.secret).me.query()).id).toBe(user.id);
    await new Promise((r) => setTimeout(r, 1_700));
    expect(await trpcCode(server.trpc(created.secret).me.query())).toBe('UNAUTHENTICATED');
    expect(await trpcCode(admin.admin.createApiKey.mutate({ userId: user.id, expiresAt: '2000-01-01T00:00:00Z' } as never))).toBe('BAD_INPUT');
  });

  it('MAX_KEYS_PER_USER caps active keys; revokeAll stops every key of the user', async () => {
    const { userId, key } = await createUserWithKey(server, 'cap@example.com');
    const client = server.trpc(key);
    await client.apiKeys.create.mutate({ name: 'two' });
    const third = await client.apiKeys.create.mutate({ name: 'three' });
    expect(await trpcCode(client.apiKeys.create.mutate({ name: 'four' }))).toBe('BAD_INPUT');
    const count = await server.gql<{ revokeAllApiKeys: number }>(`mutation { revokeAllApiKeys(userId: "${userId}") }`);
    expect(count.data?.revokeAllApiKeys).toBe(3);
    for (const k of [key, third.secret]) expect(await trpcCode(server.trpc(k).me.query())).toBe('UNAUTHENTICATED');
    expect((await server.trpc().apiKeys.list.query({ userId })).every((k) => k.revokedAt !== null)).toBe(true);
  });
});

function open(url: string, path: '/graphql' | '/trpc', protocol?: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url.replace('http', 'ws')}${path}${path === '/trpc' ? '?connectionParams=1' : ''}`, protocol);
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}
const closed = (ws: WebSocket) => new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));

/** A socket authenticated with `key` the way each protocol's client does it. */
async function authed(url: string, path: '/graphql' | '/trpc', key: string): Promise<WebSocket> {
  const ws = await open(url, path, path === '/graphql' ? 'graphql-transport-ws' : undefined);
  if (path === '/graphql') {
    const acked = new Promise<string>((resolve) => ws.once('message', (m) => resolve(String(m))));
    ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${key}` } }));
    expect(JSON.parse(await acked).type).toBe('connection_ack');
  } else {
    ws.send(JSON.stringify({ method: 'connectionParams', data: { authorization: `Bearer ${key}` } }));
    const answered = new Promise<string>((resolve) => ws.once('message', (m) => resolve(String(m))));
    ws.send(JSON.stringify({ id: 1, method: 'query', params: { path: 'me', input: undefined } }));
    expect(JSON.parse(await answered).result.data.email).toContain('@');
  }
  return ws;
}

describe('WebSockets', () => {
  it('an unauthenticated socket is closed with 4401 (both protocols, with and without a wrong key)', async () => {
    const silent = [await open(server.url, '/graphql', 'graphql-transport-ws'), await open(server.url, '/trpc')];
    const wrongGql = await open(server.url, '/graphql', 'graphql-transport-ws');
    wrongGql.send(JSON.stringify({ type: 'connection_init', payload: { authorization: 'Bearer wrong' } }));
    const wrongTrpc = await open(server.url, '/trpc');
    wrongTrpc.send(JSON.stringify({ method: 'connectionParams', data: { authorization: 'Bearer wrong' } }));
    const codes = await Promise.all([...silent, wrongGql, wrongTrpc].map(closed));
    expect(codes).toEqual([4401, 4401, 4401, 4401]);
  });

  it("a revoked key's open sockets close (4401); a rotated key's too", async () => {
    const { key } = await createUserWithKey(server, 'sockets@example.com');
    const sockets = [await authed(server.url, '/graphql', key), await authed(server.url, '/trpc', key)];
    // still open well past the auth timeout: it is authenticated
    await new Promise((r) => setTimeout(r, 600));
    expect(sockets.every((s) => s.readyState === WebSocket.OPEN)).toBe(true);
    const [listed] = await server.trpc(key).apiKeys.list.query();
    const closing = sockets.map(closed);
    await server.trpc().apiKeys.revoke.mutate({ id: listed!.id });
    expect(await Promise.all(closing)).toEqual([4401, 4401]);

    const second = await createUserWithKey(server, 'sockets2@example.com');
    const ws = await authed(server.url, '/graphql', second.key);
    const [k] = await server.trpc(second.key).apiKeys.list.query();
    const closingRotated = closed(ws);
    await server.trpc(second.key).apiKeys.rotate.mutate({ id: k!.id });
    expect(await closingRotated).toBe(4401);
  });

  it('a key may hold at most WS_MAX_SOCKETS_PER_KEY sockets', async () => {
    const { key } = await createUserWithKey(server, 'cap-sockets@example.com');
    const a = await authed(server.url, '/graphql', key);
    const b = await authed(server.url, '/trpc', key);
    const c = await open(server.url, '/graphql', 'graphql-transport-ws');
    const refused = closed(c);
    c.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${key}` } }));
    expect(await refused).toBe(4429);
    a.close();
    b.close();
  });
});

describe('subscriptions per key', () => {
  it('a key over WS_MAX_SUBSCRIPTIONS_PER_KEY gets RATE_LIMITED; the slot frees when the first ends', async () => {
    const { graphqlWs } = await import('../helpers/clients.ts');
    const { key } = await createUserWithKey(server, 'subs@example.com');
    const query = 'subscription($input: GenerateInput!) { generateStream(input: $input) { __typename } }';
    const slow = graphqlWs<{ __typename: string }>(server.url, key, query, { input: { model: 'openai/gpt-5.5', prompt: 'a b c d [[fault:slow_stream:300]]' } });
    while (!server.app.simulator!.requests.some((r) => JSON.stringify(r.body).includes('a b c d'))) await new Promise((r) => setTimeout(r, 20));
    const refused = await graphqlWs(server.url, key, query, { input: { model: 'openai/gpt-5.5', prompt: 'second' } });
    expect((refused.errors[0] as { extensions?: { code?: string } }).extensions?.code).toBe('RATE_LIMITED');
    const first = await slow;
    expect(first.events.at(-1)?.__typename).toBe('GenerationCompleted');
    const again = await graphqlWs<{ __typename: string }>(server.url, key, query, { input: { model: 'openai/gpt-5.5', prompt: 'third' } });
    expect(again.events.at(-1)?.__typename).toBe('GenerationCompleted');
  });
});

describe.skipIf(!process.env.DATABASE_URL)('across instances (PostgreSQL)', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    // a long auth cache: only the revocation channel can make a rotation effective elsewhere
    cluster = await startCluster({ redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', env: { AUTH_CACHE_TTL_MS: '600000' } });
  }, 120_000);
  afterAll(async () => {
    await cluster?.close();
  });

  const call = async (url: string, key: string, path: string, input?: unknown) => {
    const res = await fetch(`${url}/trpc/${path}`, {
      method: input === undefined ? 'GET' : 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      ...(input !== undefined && { body: JSON.stringify(input) }),
    });
    return (await res.json()) as { result?: { data: Record<string, unknown> & { secret?: string; apiKey?: { id: string } } }; error?: { data: { appCode: string } } };
  };

  it("a rotated key's old secret is UNAUTHENTICATED at once on every instance", async () => {
    const [a, b] = cluster.instances;
    const user = await call(a!.url, CLUSTER_ADMIN_KEY, 'admin.createUser', { email: 'multi@example.com' });
    const created = await call(a!.url, CLUSTER_ADMIN_KEY, 'admin.createApiKey', { userId: user.result!.data.id });
    const key = created.result!.data.secret!;
    // both instances have the key cached now
    expect((await call(a!.url, key, 'me')).result?.data.email).toBe('multi@example.com');
    expect((await call(b!.url, key, 'me')).result?.data.email).toBe('multi@example.com');
    const rotated = await call(a!.url, key, 'apiKeys.rotate', { id: created.result!.data.apiKey!.id });
    expect(rotated.result?.data.secret).toBeTruthy();
    expect((await call(b!.url, key, 'me')).error?.data.appCode).toBe('UNAUTHENTICATED');
    expect((await call(b!.url, rotated.result!.data.secret!, 'me')).result?.data.email).toBe('multi@example.com');
    // and revocation through B stops the new secret on A
    await call(b!.url, CLUSTER_ADMIN_KEY, 'apiKeys.revoke', { id: created.result!.data.apiKey!.id });
    expect((await call(a!.url, rotated.result!.data.secret!, 'me')).error?.data.appCode).toBe('UNAUTHENTICATED');
  });
});
