// The audit log: every administrative or key-management act leaves exactly one AuditEvent (actor
// user and key, target, details, request id), committed or rolled back with its change; only
// admins read it (filters, cursor paging); nothing updates or deletes an event; reporting.audit
// documents every column; the operator CLI's acts are audited as the bootstrap admin.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BOOTSTRAP_ADMIN_ID } from '../../src/domain/access/access-service.ts';
import { cliContext } from '../../src/cli/context.ts';
import { trpcErrorData } from '../helpers/errors.ts';
import { createUserWithKey, startTestServer, type TestServer } from '../helpers/server.ts';

const MODEL = '@cf/moonshotai/kimi-k2.6';

interface AuditRow {
  id: string;
  at: string;
  actorUserId: string | null;
  actorApiKeyId: string | null;
  action: string;
  targetType: string;
  targetId: string | null;
  details: Record<string, unknown> | null;
  requestId: string | null;
}

const AUDIT_QUERY = `query($input: AuditLogInput) { auditLog(input: $input) {
  edges { cursor node { id } }
  nodes { id at actorUserId actorApiKeyId action targetType targetId details requestId }
  pageInfo { hasNextPage endCursor } } }`;

describe('audit log', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  }, 60_000);
  afterAll(async () => {
    await server?.close();
  });

  const events = () => server.app.db.prisma.auditEvent.findMany({ orderBy: [{ at: 'asc' }, { id: 'asc' }] });

  /** Runs an act and returns the events it added. */
  async function act(run: () => Promise<unknown>) {
    const before = new Set((await events()).map((e) => e.id));
    await run();
    return (await events()).filter((e) => !before.has(e.id));
  }

  async function gqlWithRequestId<T>(query: string, variables: Record<string, unknown>, key: string, requestId: string) {
    const res = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, 'x-request-id': requestId },
      body: JSON.stringify({ query, variables }),
    });
    return (await res.json()) as { data?: T; errors?: unknown[] };
  }

  it('each act leaves exactly one event naming actor, key, target and request id', async () => {
    // the bootstrap ADMIN_API_KEY: the bootstrap admin's id, no key
    const [created] = await act(() => gqlWithRequestId('mutation { createUser(input: { email: "ops@example.com", role: ADMIN }) { id } }', {}, server.adminKey, 'req-create-user-1'));
    expect(created).toMatchObject({ action: 'user.create', targetType: 'USER', actorUserId: BOOTSTRAP_ADMIN_ID, actorApiKeyId: null, requestId: 'req-create-user-1' });
    const opsId = created!.targetId!;
    // an admin acting with its own key
    const opsKey = await server.trpc().admin.createApiKey.mutate({ userId: opsId, name: 'ops' });
    const opsKeyId = opsKey.apiKey.id;
    const { userId, key } = await createUserWithKey(server, 'member@example.com');
    const ops = server.trpc(opsKey.secret);
    const user = server.trpc(key);

    const cases: Array<[string, () => Promise<unknown>, Partial<AuditRow>]> = [
      ['user.limits', () => ops.admin.setUserLimits.mutate({ userId, tokensPerDay: 50_000 }), { targetType: 'USER', targetId: userId }],
      ['key.create', () => user.apiKeys.create.mutate({ name: 'mine' }), { targetType: 'API_KEY', actorUserId: userId }],
      ['team.create', () => ops.admin.teams.create.mutate({ name: 'Platform' }), { targetType: 'TEAM' }],
      ['price.set', () => ops.admin.setModelPrice.mutate({ model: MODEL, inputPerMTok: '1', outputPerMTok: '2' }), { targetType: 'MODEL_PRICE' }],
      ['alert.create', () => ops.admin.budgetAlerts.create.mutate({ scope: 'USER', subjectId: userId, thresholdPercent: 80 }), { targetType: 'BUDGET_ALERT' }],
    ];
    for (const [action, run, expected] of cases) {
      const added = await act(run);
      expect(added.map((e) => e.action), action).toEqual([action]);
      expect(added[0]).toMatchObject({ actorUserId: expected.actorUserId ?? opsId, ...expected });
      if (!expected.actorUserId) expect(added[0]!.actorApiKeyId).toBe(opsKeyId);
      expect(added[0]!.requestId).toMatch(/\S/);
    }

    // gateways: a sync, and an admin's choice for another user; a user's own choice is no admin act
    const synced = await act(() => ops.admin.syncGateways.mutate());
    expect(synced.map((e) => [e.action, e.targetType, e.actorUserId])).toEqual([['gateway.sync', 'GATEWAY', opsId]]);
    expect((synced[0]!.details as { listed: string[] }).listed.length).toBeGreaterThan(0);
    const chosen = await act(() => ops.gateways.choose.mutate({ userId, gatewayId: 'default' }));
    expect(chosen.map((e) => [e.action, e.targetType, e.targetId, (e.details as { gatewayId: string }).gatewayId])).toEqual([['user.gateway', 'USER', userId, 'default']]);
    expect(await act(() => user.gateways.choose.mutate({ gatewayId: 'default' }))).toEqual([]);

    const keys = await user.apiKeys.list.query();
    const mine = keys.find((k) => k.name === 'mine')!;
    const rotated = await act(() => user.apiKeys.rotate.mutate({ id: mine.id }));
    expect(rotated.map((e) => [e.action, e.targetId])).toEqual([['key.rotate', mine.id]]);
    expect(JSON.stringify(rotated[0]!.details)).not.toMatch(/secret|sk_/i);
    const limited = await act(() => ops.admin.setApiKeyLimits.mutate({ id: mine.id, tokensPerDay: 1000 }));
    expect(limited.map((e) => [e.action, e.targetId, (e.details as { tokensPerDay?: number }).tokensPerDay])).toEqual([['key.limits', mine.id, 1000]]);
    const revoked = await act(() => user.apiKeys.revoke.mutate({ id: mine.id }));
    expect(revoked.map((e) => [e.action, e.targetId, e.actorUserId])).toEqual([['key.revoke', mine.id, userId]]);

    const team = (await ops.teams.list.query())[0]!;
    expect((await act(() => ops.admin.teams.setLimits.mutate({ teamId: team.id, tokensPerDay: 9 }))).map((e) => e.action)).toEqual(['team.limits']);
    expect((await act(() => ops.admin.teams.addMember.mutate({ teamId: team.id, userId }))).map((e) => e.action)).toEqual(['team.member.add']);
    expect((await act(() => ops.admin.teams.removeMember.mutate({ teamId: team.id, userId }))).map((e) => e.action)).toEqual(['team.member.remove']);

    const version = await ops.admin.setModelPrice.mutate({ model: MODEL, inputPerMTok: '3', outputPerMTok: '4' });
    const repriced = await act(() => ops.admin.repriceUsage.mutate({ priceVersionId: version.id, from: new Date(Date.now() - 3_600_000), to: new Date(Date.now() + 60_000) }));
    expect(repriced.map((e) => e.action)).toEqual(['repricing.run']);
    const reconciled = await act(() => ops.admin.reconcileUsage.mutate({ from: new Date(Date.now() - 3_600_000), to: new Date() }));
    expect(reconciled.map((e) => [e.action, e.targetType])).toEqual([['reconciliation.run', 'RECONCILE_RUN']]);

    const alert = (await ops.admin.budgetAlerts.list.query())[0]!;
    expect((await act(() => ops.admin.budgetAlerts.delete.mutate({ id: alert.id }))).map((e) => [e.action, e.targetId])).toEqual([['alert.delete', alert.id]]);
    expect((await act(() => ops.admin.exportUserData.query({ userId }))).map((e) => [e.action, e.targetId])).toEqual([['export', userId]]);
    expect((await act(() => ops.admin.purgeUserData.mutate({ userId }))).map((e) => [e.action, e.targetId])).toEqual([['purge', userId]]);
    expect((await act(() => ops.apiKeys.revokeAll.mutate({ userId }))).map((e) => [e.action, e.targetType])).toEqual([['key.revoke', 'USER']]);
  }, 60_000);

  it('an act that fails leaves no event, and an event that cannot be written undoes the act', async () => {
    const admin = server.trpc();
    await admin.admin.createUser.mutate({ email: 'dup@example.com', role: 'USER' });
    const added = await act(() => admin.admin.createUser.mutate({ email: 'dup@example.com', role: 'USER' }).catch(() => undefined));
    expect(added).toEqual([]);

    // Make the event's insert fail: the team must not be created either.
    await server.app.db.prisma.$executeRawUnsafe(`ALTER TABLE "AuditEvent" ADD CONSTRAINT "no_team_create_for_test" CHECK ("action" <> 'team.create') NOT VALID`);
    try {
      const failed = await trpcErrorData(admin.admin.teams.create.mutate({ name: 'Ghost team' }));
      expect(failed.appCode).toBe('INTERNAL');
      expect(await server.app.db.prisma.team.count({ where: { name: 'Ghost team' } })).toBe(0);
    } finally {
      await server.app.db.prisma.$executeRawUnsafe(`ALTER TABLE "AuditEvent" DROP CONSTRAINT "no_team_create_for_test"`);
    }
    const created = await act(() => admin.admin.teams.create.mutate({ name: 'Ghost team' }));
    expect(created.map((e) => e.action)).toEqual(['team.create']);
  });

  it('no statement updates, deletes or truncates an event', async () => {
    const [first] = await events();
    const prisma = server.app.db.prisma;
    await expect(prisma.$executeRawUnsafe(`UPDATE "AuditEvent" SET "action" = 'forged' WHERE "id" = $1::uuid`, first!.id)).rejects.toThrow();
    await expect(prisma.$executeRawUnsafe(`DELETE FROM "AuditEvent" WHERE "id" = $1::uuid`, first!.id)).rejects.toThrow();
    await expect(prisma.$executeRawUnsafe(`TRUNCATE "AuditEvent"`)).rejects.toThrow();
    await expect(prisma.auditEvent.deleteMany({})).rejects.toThrow();
    expect((await prisma.auditEvent.findUnique({ where: { id: first!.id } }))!.action).toBe(first!.action);
    expect(await prisma.auditEvent.count()).toBe((await events()).length);
    // the trigger's own words, straight from the database
    const fns = await prisma.$queryRawUnsafe<Array<{ fn: string }>>(`SELECT prosrc AS fn FROM pg_proc WHERE proname = 'audit_event_append_only'`);
    expect(fns[0]!.fn).toMatch(/append-only/);
  });

  it('only admins read it: filters by action family, actor and time; cursor paging; a bad cursor is BAD_INPUT (after)', async () => {
    const { key } = await createUserWithKey(server, 'nosy@example.com');
    const denied = await server.gql(AUDIT_QUERY, {}, key);
    expect(denied.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await trpcErrorData(server.trpc(key).admin.auditLog.query({}))).appCode).toBe('FORBIDDEN');

    const all = await server.gql<{ auditLog: { nodes: AuditRow[] } }>(AUDIT_QUERY, { input: { first: 500 } });
    const nodes = all.data!.auditLog.nodes;
    expect(nodes.length).toBe((await events()).length);
    const times = nodes.map((n) => new Date(n.at).getTime());
    expect(times).toEqual([...times].sort((a, b) => b - a));

    const keyActs = await server.gql<{ auditLog: { nodes: AuditRow[] } }>(AUDIT_QUERY, { input: { action: 'key', first: 500 } });
    expect(keyActs.data!.auditLog.nodes.length).toBeGreaterThan(2);
    expect(keyActs.data!.auditLog.nodes.every((n) => n.action.startsWith('key.'))).toBe(true);
    const exact = await server.trpc().admin.auditLog.query({ action: 'KEY_ROTATE' });
    expect(exact.nodes.map((n) => n.action)).toEqual(['key.rotate']);
    const byBootstrap = await server.trpc().admin.auditLog.query({ actorUserId: BOOTSTRAP_ADMIN_ID, first: 500 });
    expect(byBootstrap.nodes.length).toBeGreaterThan(0);
    expect(byBootstrap.nodes.every((n) => n.actorUserId === BOOTSTRAP_ADMIN_ID)).toBe(true);
    const future = await server.trpc().admin.auditLog.query({ from: new Date(Date.now() + 60_000) });
    expect(future.nodes).toEqual([]);

    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 100; page++) {
      const res: { data?: { auditLog: { nodes: AuditRow[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } } | null } = await server.gql(AUDIT_QUERY, { input: { first: 3, after } });
      seen.push(...res.data!.auditLog.nodes.map((n) => n.id));
      if (!res.data!.auditLog.pageInfo.hasNextPage) break;
      after = res.data!.auditLog.pageInfo.endCursor;
    }
    expect(seen).toEqual(nodes.map((n) => n.id));
    // tRPC answers GraphQL's shape: edges with their cursors, nodes, pageInfo (hasNextPage and endCursor kept beside)
    const gqlPage = await server.gql<{ auditLog: { edges: Array<{ cursor: string; node: { id: string } }>; pageInfo: { hasNextPage: boolean; endCursor: string } } }>(AUDIT_QUERY, { input: { first: 3 } });
    const trpcPage = await server.trpc().admin.auditLog.query({ first: 3 });
    expect(trpcPage.edges.map((e) => [e.cursor, e.node.id])).toEqual(gqlPage.data!.auditLog.edges.map((e) => [e.cursor, e.node.id]));
    expect(trpcPage.pageInfo).toEqual(gqlPage.data!.auditLog.pageInfo);
    expect(trpcPage.nodes.map((n) => n.id)).toEqual(trpcPage.edges.map((e) => e.node.id));
    expect([trpcPage.hasNextPage, trpcPage.endCursor]).toEqual([trpcPage.pageInfo.hasNextPage, trpcPage.pageInfo.endCursor]);
    // the one cursor rule of every list (keyset-cursor.ts): an empty or out-of-range cursor is no cursor either
    for (const after of ['bm90LWEtY3Vyc29y', '', Buffer.from('+275760-09-13T00:00:00.000Z|00000000-0000-4000-8000-000000000000').toString('base64url')]) {
      const bad = await server.gql(AUDIT_QUERY, { input: { after } });
      expect(bad.errors?.[0]?.extensions, after).toMatchObject({ code: 'BAD_INPUT', field: 'after' });
    }
  });

  it('reporting.audit has a comment on every column and shows the events', async () => {
    const prisma = server.app.db.prisma;
    const columns = await prisma.$queryRawUnsafe<Array<{ column_name: string; comment: string | null }>>(
      `SELECT c.column_name::text AS column_name, col_description('reporting.audit'::regclass, c.ordinal_position) AS comment
       FROM information_schema.columns c WHERE c.table_schema = 'reporting' AND c.table_name = 'audit' ORDER BY c.ordinal_position`,
    );
    expect(columns.map((c) => c.column_name)).toEqual(['id', 'at', 'actor_user_id', 'actor_email', 'actor_api_key_id', 'action', 'target_type', 'target_id', 'details', 'request_id']);
    expect(columns.filter((c) => !c.comment)).toEqual([]);
    const counted = await prisma.$queryRawUnsafe<Array<{ n: bigint }>>(`SELECT count(*) AS n FROM reporting.audit`);
    expect(Number(counted[0]!.n)).toBe(await prisma.auditEvent.count());
  });

  it("the operator CLI's admin commands are audited as the bootstrap admin", async () => {
    const ctx = cliContext(server.app.services, () => {});
    const added = await act(async () => {
      const user = await ctx.access.createUser(ctx.principal, { email: 'cli-made@example.com', role: 'USER' });
      await ctx.userLimits.setUserLimits(ctx.principal, { userId: user.id, requestsPerMinute: 5 });
    });
    expect(added.map((e) => [e.action, e.actorUserId, e.actorApiKeyId, e.requestId])).toEqual([
      ['user.create', BOOTSTRAP_ADMIN_ID, null, null],
      ['user.limits', BOOTSTRAP_ADMIN_ID, null, null],
    ]);
  });
});
