// Gateways: the list with the caller's default marked, choosing one (history kept) changes the
// cf-aig-gateway-id of the next upstream call, bad or disabled ids are BAD_INPUT before
// anything goes upstream, and the admin sync from Cloudflare's gateway list.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUserWithKey, startTestServer, type TestServer } from '../helpers/server.ts';
import { trpcErrorData } from '../helpers/errors.ts';

let server: TestServer;
let user: { userId: string; key: string };
let other: { userId: string; key: string };
beforeAll(async () => {
  server = await startTestServer({ GATEWAYS: 'gw-a, gw-b' });
  user = await createUserWithKey(server, 'chooser@example.com');
  other = await createUserWithKey(server, 'other@example.com');
});
afterAll(async () => {
  await server?.close();
});

const sentGateway = (id: string) => server.app.simulator!.requests.filter((r) => r.headers['cf-aig-event-id'] === id).map((r) => r.headers['cf-aig-gateway-id']);

describe('gateways', () => {
  it('lists the configured gateways with the default marked', async () => {
    const list = await server.trpc(user.key).gateways.list.query();
    expect(list.map((g) => g.id).sort()).toEqual(['default', 'gw-a', 'gw-b']);
    expect(list.filter((g) => g.isDefault).map((g) => g.id)).toEqual(['default']);
  });

  it('choosing a gateway changes the header of the next upstream call, and is kept in history', async () => {
    const client = server.trpc(user.key);
    const first = await client.generate.mutate({ model: 'openai/gpt-5.5', prompt: 'before choosing' });
    expect(first.gatewayId).toBe('default');
    expect(sentGateway(first.id)).toEqual(['default']);

    const me = await client.gateways.choose.mutate({ gatewayId: 'gw-b' });
    expect(me.defaultGatewayId).toBe('gw-b');
    const next = await client.generate.mutate({ model: 'openai/gpt-5.5', prompt: 'after choosing' });
    expect(next.gatewayId).toBe('gw-b');
    expect(sentGateway(next.id)).toEqual(['gw-b']);
    expect((await client.gateways.list.query()).find((g) => g.isDefault)!.id).toBe('gw-b');

    // GraphQL, same user
    const res = await server.gql<{ chooseGateway: { defaultGatewayId: string } }>('mutation { chooseGateway(gatewayId: "gw-a") { defaultGatewayId } }', {}, user.key);
    expect(res.data!.chooseGateway.defaultGatewayId).toBe('gw-a');
    const viaGql = await client.generate.mutate({ model: 'anthropic/claude-sonnet-4-5', prompt: 'third' });
    expect(sentGateway(viaGql.id)).toEqual(['gw-a']);
    // the request's own gatewayId still wins
    const explicit = await client.generate.mutate({ model: 'openai/gpt-5.5', prompt: 'explicit', gatewayId: 'default' });
    expect(sentGateway(explicit.id)).toEqual(['default']);

    const history = await server.app.db.prisma.gatewayChoice.findMany({ where: { userId: user.userId }, orderBy: { chosenAt: 'asc' } });
    expect(history.map((h) => [h.gatewayId, h.chosenBy])).toEqual([
      ['gw-b', user.userId],
      ['gw-a', user.userId],
    ]);
  });

  it('unknown ids are BAD_INPUT and nothing is sent upstream', async () => {
    const client = server.trpc(other.key);
    const sentBefore = server.app.simulator!.requests.length;
    expect(await trpcErrorData(client.gateways.choose.mutate({ gatewayId: 'nope' }))).toMatchObject({ appCode: 'BAD_INPUT', field: 'gatewayId' });
    expect(await trpcErrorData(client.generate.mutate({ model: 'openai/gpt-5.5', prompt: 'x', gatewayId: 'nope' }))).toMatchObject({ appCode: 'BAD_INPUT', field: 'gatewayId' });
    const gql = await server.gql('mutation { chooseGateway(gatewayId: "nope") { id } }', {}, other.key);
    expect(gql.errors?.[0]?.extensions?.code).toBe('BAD_INPUT');
    expect(server.app.simulator!.requests.length).toBe(sentBefore);
    expect((await server.trpc(other.key).me.query()).defaultGatewayId).toBeNull();
  });

  it('a USER cannot choose for another user (NOT_FOUND); an admin can, recorded as chosen by the admin', async () => {
    expect((await trpcErrorData(server.trpc(other.key).gateways.choose.mutate({ gatewayId: 'gw-a', userId: user.userId }))).appCode).toBe('NOT_FOUND');
    const updated = await server.trpc().gateways.choose.mutate({ gatewayId: 'gw-b', userId: other.userId });
    expect(updated.defaultGatewayId).toBe('gw-b');
    const last = await server.app.db.prisma.gatewayChoice.findFirstOrThrow({ where: { userId: other.userId }, orderBy: { chosenAt: 'desc' } });
    expect(last.chosenBy).toBe('00000000-0000-7000-8000-000000000001');
  });

  it('syncGateways (admin) adds listed gateways and disables synced ones no longer listed', async () => {
    const prisma = server.app.db.prisma;
    await prisma.gateway.create({ data: { id: 'gone', name: 'gone', source: 'CLOUDFLARE' } });
    expect((await trpcErrorData(server.trpc(user.key).admin.syncGateways.mutate())).appCode).toBe('FORBIDDEN');
    const synced = await server.trpc().admin.syncGateways.mutate();
    expect(synced.find((g) => g.id === 'gone')).toMatchObject({ enabled: false });
    expect(synced.filter((g) => g.enabled).map((g) => g.id).sort()).toEqual(['default', 'gw-a', 'gw-b']);
    // a disabled gateway is refused before anything is sent, and users no longer see it
    expect((await trpcErrorData(server.trpc(user.key).gateways.choose.mutate({ gatewayId: 'gone' }))).appCode).toBe('BAD_INPUT');
    expect((await server.trpc(user.key).gateways.list.query()).map((g) => g.id)).not.toContain('gone');
    const gql = await server.gql<{ syncGateways: Array<{ id: string; enabled: boolean; source: string }> }>('mutation { syncGateways { id enabled source isDefault } }');
    expect(gql.errors).toBeUndefined();
    // The same result over GraphQL: the listed gateways enabled, the unlisted synced one disabled.
    const byId = new Map(gql.data!.syncGateways.map((g) => [g.id, g]));
    expect(gql.data!.syncGateways.filter((g) => g.enabled).map((g) => g.id).sort()).toEqual(['default', 'gw-a', 'gw-b']);
    expect(byId.get('gone')).toMatchObject({ enabled: false, source: 'CLOUDFLARE' });
    const forbidden = await server.gql('mutation { syncGateways { id } }', {}, user.key);
    expect(forbidden.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('a chosen gateway that was disabled since makes the next call BAD_INPUT, with nothing sent (no silent fallback)', async () => {
    // as if "other" had chosen "gone" before the sync disabled it
    await server.app.db.prisma.user.update({ where: { id: other.userId }, data: { defaultGatewayId: 'gone' } });
    const sentBefore = server.app.simulator!.requests.length;
    expect(await trpcErrorData(server.trpc(other.key).generate.mutate({ model: 'openai/gpt-5.5', prompt: 'x' }))).toMatchObject({ appCode: 'BAD_INPUT' });
    expect(server.app.simulator!.requests.length).toBe(sentBefore);
    // its list marks the configured default instead
    expect((await server.trpc(other.key).gateways.list.query()).find((g) => g.isDefault)!.id).toBe('default');
  });
});

describe('setUserLimits (admin)', () => {
  it('stores limits (null = no limit, absent = unchanged) and users may not', async () => {
    const admin = server.trpc();
    const set = await admin.admin.setUserLimits.mutate({ userId: user.userId, requestsPerMinute: 30, tokensPerDay: 100_000, monthlyBudgetUsd: '12.50' });
    expect(set.limits).toEqual({ requestsPerMinute: 30, tokensPerDay: 100_000, monthlyBudgetUsd: '12.5' });
    const cleared = await admin.admin.setUserLimits.mutate({ userId: user.userId, requestsPerMinute: null });
    expect(cleared.limits).toEqual({ requestsPerMinute: null, tokensPerDay: 100_000, monthlyBudgetUsd: '12.5' });
    const gql = await server.gql<{ setUserLimits: { limits: unknown } }>(
      `mutation($input: SetUserLimitsInput!) { setUserLimits(input: $input) { limits { requestsPerMinute tokensPerDay monthlyBudgetUsd } } }`,
      { input: { userId: user.userId, monthlyBudgetUsd: null } },
    );
    expect(gql.data!.setUserLimits.limits).toEqual({ requestsPerMinute: null, tokensPerDay: 100_000, monthlyBudgetUsd: null });
    expect((await trpcErrorData(server.trpc(user.key).admin.setUserLimits.mutate({ userId: user.userId, tokensPerDay: 1 }))).appCode).toBe('FORBIDDEN');
    expect((await trpcErrorData(admin.admin.setUserLimits.mutate({ userId: user.userId, tokensPerDay: -5 }))).appCode).toBe('BAD_INPUT');
    expect((await trpcErrorData(admin.admin.setUserLimits.mutate({ userId: '00000000-0000-7000-8000-00000000beef', tokensPerDay: 5 }))).appCode).toBe('NOT_FOUND');
    expect((await admin.admin.setUserLimits.mutate({ userId: user.userId, tokensPerDay: null })).limits.tokensPerDay).toBeNull();
  });
});
