import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUserWithKey, startTestServer, type TestServer } from '../helpers/server.ts';
import { trpcErrorData } from '../helpers/errors.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close();
});

describe('authentication', () => {
  const operations: Array<[string, string]> = [
    ['me', '{ me { id } }'],
    ['createUser', 'mutation { createUser(input: { email: "x@example.com" }) { id } }'],
    ['createApiKey', 'mutation { createApiKey(input: { name: "k" }) { secret } }'],
    ['revokeApiKey', 'mutation { revokeApiKey(id: "00000000-0000-7000-8000-000000000009") }'],
  ];

  it.each(operations)('GraphQL %s without a key, with a wrong key and with a revoked key is UNAUTHENTICATED', async (_name, query) => {
    const { key: revoked } = await createUserWithKey(server, `revoked-${_name.toLowerCase()}@example.com`);
    const me = await server.trpc(revoked).me.query();
    const keys = await server.gql<{ createApiKey: { id: string } }>('mutation { createApiKey(input: { name: "x" }) { id } }', {}, revoked);
    expect(keys.data?.createApiKey.id).toBeTruthy();
    // revoke every key of that user: find the key id by revoking via the admin (list not needed: use the created id)
    const revokedKeyId = await keyIdOf(revoked);
    expect(await server.trpc().apiKeys.revoke.mutate({ id: revokedKeyId })).toBe(true);
    expect(me.email).toContain('revoked-');

    for (const key of [null, 'not-a-key', 'sb_0123456789ab_' + 'A'.repeat(43), revoked]) {
      const res = await server.gql(query, {}, key);
      expect(res.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      expect(res.data?.[Object.keys(res.data ?? {})[0] ?? ''] ?? null).toBeNull();
    }
  });

  it('tRPC procedures without a key, with a wrong key and with a revoked key are UNAUTHENTICATED', async () => {
    const { key } = await createUserWithKey(server, 'trpc-revoked@example.com');
    await server.trpc(key).me.query();
    await server.trpc().apiKeys.revoke.mutate({ id: await keyIdOf(key) });
    for (const k of [null, 'wrong', key]) {
      const client = server.trpc(k);
      // Handled together: the batched calls reject at once, none may be left unhandled meanwhile.
      const all = await Promise.all(
        [
          client.me.query(),
          client.admin.createUser.mutate({ email: 'nobody@example.com' }),
          client.admin.createApiKey.mutate({ name: 'x' }),
          client.apiKeys.revoke.mutate({ id: '00000000-0000-7000-8000-000000000009' }),
        ].map((call) => trpcErrorData(call)),
      );
      for (const data of all) {
        expect(data.appCode).toBe('UNAUTHENTICATED');
        expect(data.code).toBe('UNAUTHORIZED');
        expect(data.httpStatus).toBe(401);
      }
    }
  });

  it('a revoked key stops working at once on this instance, although authentication is cached', async () => {
    const { key } = await createUserWithKey(server, 'cached@example.com');
    for (let i = 0; i < 3; i++) expect((await server.trpc(key).me.query()).email).toBe('cached@example.com');
    await server.trpc().apiKeys.revoke.mutate({ id: await keyIdOf(key) });
    expect((await trpcErrorData(server.trpc(key).me.query())).appCode).toBe('UNAUTHENTICATED');
  });
});

describe('roles', () => {
  it('a USER calling createUser gets FORBIDDEN over both APIs', async () => {
    const { key } = await createUserWithKey(server, 'plain@example.com');
    const res = await server.gql('mutation { createUser(input: { email: "y@example.com" }) { id } }', {}, key);
    expect(res.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await trpcErrorData(server.trpc(key).admin.createUser.mutate({ email: 'y@example.com' }))).appCode).toBe('FORBIDDEN');
  });

  it('a USER may create a key for itself but not for another user (NOT_FOUND-free FORBIDDEN)', async () => {
    const a = await createUserWithKey(server, 'a-self@example.com');
    const b = await createUserWithKey(server, 'b-other@example.com');
    const own = await server.trpc(a.key).admin.createApiKey.mutate({ name: 'mine' });
    expect((await server.trpc(own.secret).me.query()).id).toBe(a.userId);
    expect((await trpcErrorData(server.trpc(a.key).admin.createApiKey.mutate({ userId: b.userId, name: 'theirs' }))).appCode).toBe('FORBIDDEN');
  });

  it("another user's key cannot be revoked: it looks missing", async () => {
    const a = await createUserWithKey(server, 'a-revoke@example.com');
    const b = await createUserWithKey(server, 'b-revoke@example.com');
    const data = await trpcErrorData(server.trpc(a.key).apiKeys.revoke.mutate({ id: await keyIdOf(b.key) }));
    expect(data.appCode).toBe('NOT_FOUND');
    expect((await server.trpc(b.key).me.query()).id).toBe(b.userId);
  });
});

describe('admin creates a user and a key', () => {
  it('the key works for me over GraphQL and tRPC', async () => {
    const created = await server.gql<{ createUser: { id: string; email: string; role: string } }>(
      'mutation($input: CreateUserInput!) { createUser(input: $input) { id email role } }',
      { input: { email: 'New.Person@Example.com' } },
    );
    expect(created.data?.createUser).toMatchObject({ email: 'new.person@example.com', role: 'USER' });
    const userId = created.data!.createUser.id;
    const key = await server.gql<{ createApiKey: { secret: string; apiKey: { id: string; prefix: string; userId: string } } }>(
      'mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret apiKey { id prefix userId } } }',
      { input: { userId, name: 'laptop' } },
    );
    const secret = key.data!.createApiKey.secret;
    expect(secret).toMatch(/^sb_[0-9a-f]{12}_/);
    expect(key.data!.createApiKey.apiKey.userId).toBe(userId);

    const viaGraphQL = await server.gql<{ me: { id: string; email: string } }>('{ me { id email } }', {}, secret);
    expect(viaGraphQL.data?.me).toEqual({ id: userId, email: 'new.person@example.com' });
    const viaTRPC = await server.trpc(secret).me.query();
    expect(viaTRPC.id).toBe(userId);
  });

  it('a duplicate email is BAD_INPUT on the email field', async () => {
    await server.trpc().admin.createUser.mutate({ email: 'dup@example.com' });
    const data = await trpcErrorData(server.trpc().admin.createUser.mutate({ email: 'dup@example.com' }));
    expect(data.appCode).toBe('BAD_INPUT');
    expect(data.field).toBe('email');
  });

  it('the database holds no plaintext key', async () => {
    const { userId, key } = await createUserWithKey(server, 'hash@example.com');
    const rows = await server.app.db.prisma.$queryRawUnsafe<Array<Record<string, unknown>>>(
      'SELECT * FROM "ApiKey" WHERE "userId" = $1::uuid',
      userId,
    );
    expect(rows).toHaveLength(1);
    const secretPart = key.split('_').slice(2).join('_');
    const serialized = JSON.stringify(rows);
    expect(serialized).not.toContain(key);
    expect(serialized).not.toContain(secretPart);
    expect(rows[0]!.secretHash).toMatch(/^[0-9a-f]{64}$/);
  });
});

/** The key id behind a plaintext key, found through its public prefix. */
async function keyIdOf(key: string): Promise<string> {
  const prefix = key.split('_')[1]!;
  const row = await server.app.db.prisma.apiKey.findUniqueOrThrow({ where: { prefix }, select: { id: true } });
  return row.id;
}


describe('subscriptions need a key too', () => {
  it('graphql-ws, graphql-sse, tRPC SSE and tRPC WebSocket refuse a missing or wrong key with UNAUTHENTICATED', async () => {
    const { graphqlSse, graphqlWs, collectTrpc, trpcHttp, trpcWs } = await import('../helpers/clients.ts');
    const query = 'subscription { generateStream(input: { model: "openai/gpt-5.5", prompt: "hi" }) { __typename } }';
    for (const key of ['', 'wrong-key']) {
      for (const run of [graphqlSse, graphqlWs]) {
        const { events, errors } = await run(server.url, key, query, {});
        expect(events).toEqual([]);
        expect((errors[0] as { extensions?: { code?: string } }).extensions?.code, JSON.stringify(errors) + run.name).toBe("UNAUTHENTICATED");
      }
      const sse = await trpcErrorData(collectTrpc((h) => trpcHttp(server.url, key).generateStream.subscribe({ model: 'openai/gpt-5.5', prompt: 'hi' }, h as never)));
      expect(sse.appCode).toBe('UNAUTHENTICATED');
      const ws = trpcWs(server.url, key);
      const overWs = await trpcErrorData(collectTrpc((h) => ws.client.generateStream.subscribe({ model: 'openai/gpt-5.5', prompt: 'hi' }, h as never)));
      expect(overWs.appCode).toBe('UNAUTHENTICATED');
      await ws.close();
    }
    expect(await server.app.db.prisma.usageRecord.count()).toBe(0);
  });
});

describe('the key may come bare', () => {
  it('authorization: <key> without "Bearer" works (as WebSocket connection parameters often send it)', async () => {
    const { userId, key } = await createUserWithKey(server, 'bare@example.com');
    const res = await fetch(`${server.url}/trpc/me`, { headers: { authorization: key } });
    expect(((await res.json()) as { result: { data: { id: string } } }).result.data.id).toBe(userId);
    const basic = await fetch(`${server.url}/trpc/me`, { headers: { authorization: `Basic ${key}` } });
    expect(basic.status).toBe(401);
  });
});
