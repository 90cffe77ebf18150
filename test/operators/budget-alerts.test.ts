// Budget alerts: a 50 % alert on a $1 budget fires exactly once as calls cross it (one stored
// event, one signed POST, on both subscriptions); a receiver answering 500 twice gets the same
// event id a third time; webhook targets that are not allowed, loopback or private are refused at
// creation; with two instances on one PostgreSQL the event is stored and posted once.
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { collectTrpc, graphqlSse, trpcHttp } from '../helpers/clients.ts';
import { freshDatabase, type FreshDatabase } from '../helpers/database.ts';
import { trpcErrorData } from '../helpers/errors.ts';
import { ADMIN_KEY, createUserWithKey, startTestServer, testEnv, type TestServer } from '../helpers/server.ts';
import { startReceiver, until } from './webhook-receiver.ts';

const MODEL = '@cf/moonshotai/kimi-k2.6';
const SECRET = 'webhook-secret-for-tests';
const sign = (body: string) => `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;

interface EventShape {
  id: string;
  alertId: string;
  scope: string;
  subjectId: string;
  thresholdPercent: number;
  usedPercent: number;
  limit: string;
  used: string;
  periodStart: string;
  at: string;
}

/** Calls until the user's settled cost reaches `usd` (the price makes each call cost cents). */
async function spend(trpcFor: () => ReturnType<TestServer['trpc']>, app: App, userId: string, usd: number) {
  for (let i = 0; i < 40; i++) {
    const spent = await app.db.prisma.usageRecord.aggregate({ where: { userId, status: { not: 'PENDING' } }, _sum: { costUsd: true } });
    if (Number(spent._sum.costUsd ?? 0) >= usd) return;
    await trpcFor().generate.mutate({ model: MODEL, prompt: `call ${i}`, maxTokens: 8 });
  }
  throw new Error('the calls never reached the spend');
}

describe('budget alerts on one instance', () => {
  let server: TestServer;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  beforeAll(async () => {
    receiver = await startReceiver();
    server = await startTestServer({ WEBHOOK_ALLOWED_HOSTS: `127.0.0.1:${receiver.port}`, BUDGET_WEBHOOK_SECRET: SECRET, WEBHOOK_RETRY_BASE_MS: '300' });
    // Each call costs cents, so a $1 budget is crossed in a few calls.
    await server.trpc().admin.setModelPrice.mutate({ model: MODEL, inputPerMTok: '5000', outputPerMTok: '5000' });
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    await receiver?.close();
  });

  it('a 50 % alert on a $1 budget fires exactly once: one stored event, one signed POST, the admin and the user see it', async () => {
    const { userId, key } = await createUserWithKey(server, 'alerted@example.com');
    await server.trpc().admin.setUserLimits.mutate({ userId, monthlyBudgetUsd: '1' });
    const alert = await server.gql<{ createBudgetAlert: { id: string; scope: string; thresholdPercent: number } }>(
      `mutation($input: CreateBudgetAlertInput!) { createBudgetAlert(input: $input) { id scope subjectId thresholdPercent webhookUrl } }`,
      { input: { scope: 'USER', subjectId: userId, thresholdPercent: 50, webhookUrl: receiver.url } },
    );
    expect(alert.errors).toBeUndefined();
    const alertId = alert.data!.createBudgetAlert.id;

    const adminSees = graphqlSse<EventShape>(server.url, ADMIN_KEY, 'subscription { budgetEvents { id alertId scope subjectId thresholdPercent usedPercent limit used periodStart at } }', {}, (e) => e.length >= 1);
    const userSees = collectTrpc<EventShape>((h) => trpcHttp(server.url, key).budgetEvents.subscribe(undefined, h), (e) => e.length >= 1);
    const stranger = await createUserWithKey(server, 'stranger@example.com');
    const strangerSaw: EventShape[] = [];
    const strangerSub = trpcHttp(server.url, stranger.key).budgetEvents.subscribe(undefined, { onData: (e) => strangerSaw.push(e as EventShape) });
    await new Promise((r) => setTimeout(r, 500));

    await spend(() => server.trpc(key), server.app, userId, 0.5);
    // More calls after the crossing: still one event.
    for (let i = 0; i < 2; i++) await server.trpc(key).generate.mutate({ model: MODEL, prompt: `after ${i}`, maxTokens: 8 }).catch(() => undefined);
    await server.app.operators.alertsIdle();

    const events = await server.app.db.prisma.budgetEvent.findMany({ where: { alertId } });
    expect(events).toHaveLength(1);
    const stored = events[0]!;
    expect(stored.limitKind).toBe('USD');
    expect(stored.usedPercent).toBeGreaterThanOrEqual(50);

    await until(() => receiver.posts.length >= 1 || undefined);
    await new Promise((r) => setTimeout(r, 600));
    expect(receiver.posts).toHaveLength(1);
    const post = receiver.posts[0]!;
    expect(post.headers['x-switchboard-event-id']).toBe(stored.id);
    expect(post.headers['x-switchboard-signature']).toBe(sign(post.body));
    const body = JSON.parse(post.body) as EventShape;
    expect(body).toMatchObject({ id: stored.id, alertId, scope: 'USER', subjectId: userId, thresholdPercent: 50, limit: '1' });
    expect(Number(body.used)).toBeGreaterThanOrEqual(0.5);
    expect(new Date(body.periodStart).getUTCDate()).toBe(1);
    await until(async () => (await server.app.db.prisma.budgetEvent.findUnique({ where: { id: stored.id } }))?.deliveryState === 'DELIVERED' || undefined);

    const [admin, user] = await Promise.all([adminSees, userSees]);
    expect(admin.errors).toEqual([]);
    expect(admin.events.map((e) => e.id)).toEqual([stored.id]);
    expect(user.map((e) => e.id)).toEqual([stored.id]);
    expect(user[0]).toMatchObject({ alertId, scope: 'USER', subjectId: userId, thresholdPercent: 50 });
    strangerSub.unsubscribe();
    expect(strangerSaw).toEqual([]);
  }, 60_000);

  it('a receiver answering 500 twice gets the same event id (and the same body) a third time', async () => {
    const { userId, key } = await createUserWithKey(server, 'retried@example.com');
    await server.trpc().admin.setUserLimits.mutate({ userId, monthlyBudgetUsd: '1' });
    const before = receiver.posts.length;
    receiver.script([500, 500]);
    const alert = await server.trpc().admin.budgetAlerts.create.mutate({ scope: 'USER', subjectId: userId, thresholdPercent: 50, webhookUrl: receiver.url });
    await spend(() => server.trpc(key), server.app, userId, 0.5);
    await server.app.operators.alertsIdle();
    await until(() => receiver.posts.length - before >= 3 || undefined, 20_000);
    const posts = receiver.posts.slice(before);
    const ids = posts.map((p) => p.headers['x-switchboard-event-id']);
    expect(new Set(ids).size).toBe(1);
    expect(new Set(posts.map((p) => p.body)).size).toBe(1);
    expect(posts.every((p) => p.headers['x-switchboard-signature'] === sign(p.body))).toBe(true);
    // backoff: the second retry waited longer than the first
    expect(posts[2]!.at - posts[1]!.at).toBeGreaterThan(posts[1]!.at - posts[0]!.at);
    const event = await until(async () => {
      const row = await server.app.db.prisma.budgetEvent.findFirst({ where: { alertId: alert.id } });
      return row?.deliveryState === 'DELIVERED' ? row : undefined;
    });
    expect(event.id).toBe(ids[0]);
    expect(event.attempts).toBe(3);
    await new Promise((r) => setTimeout(r, 500));
    expect(receiver.posts.length - before).toBe(3);
  }, 60_000);

  it("team token limits and key budgets: a TEAM alert fires on the team's tokens per day (seen by a member), an API_KEY alert on the key's budget", async () => {
    const admin = server.trpc();
    const member = await createUserWithKey(server, 'team-member@example.com');
    const team = await admin.admin.teams.create.mutate({ name: 'Alerted team', limits: { tokensPerDay: 300 } });
    await admin.admin.teams.addMember.mutate({ teamId: team.id, userId: member.userId });
    const teamAlert = await admin.admin.budgetAlerts.create.mutate({ scope: 'TEAM', subjectId: team.id, thresholdPercent: 50 });
    const memberSees = collectTrpc<EventShape & { limitKind: string }>((h) => trpcHttp(server.url, member.key).budgetEvents.subscribe(undefined, h), (e) => e.length >= 1);
    await new Promise((r) => setTimeout(r, 500));
    const outcomes: string[] = [];
    for (let i = 0; i < 30 && (await server.app.db.prisma.budgetEvent.count({ where: { alertId: teamAlert.id } })) === 0; i++) {
      outcomes.push(await server.trpc(member.key).generate.mutate({ model: MODEL, prompt: `team ${i}`, maxTokens: 8 }).then((g) => `ok:${g.usage.totalTokens}`, (e: Error) => e.message));
      await server.app.operators.alertsIdle();
    }
    expect(await server.app.db.prisma.budgetEvent.count({ where: { alertId: teamAlert.id } }), outcomes.join(' | ')).toBe(1);
    const [teamEvent] = await memberSees;
    expect(teamEvent).toMatchObject({ alertId: teamAlert.id, scope: 'TEAM', subjectId: team.id, limitKind: 'TOKENS', limit: '300' });
    expect(Number(teamEvent!.used)).toBeGreaterThanOrEqual(150);

    const owner = await createUserWithKey(server, 'key-owner@example.com');
    const budgeted = await server.trpc(owner.key).apiKeys.create.mutate({ name: 'budgeted' });
    await admin.admin.setApiKeyLimits.mutate({ id: budgeted.apiKey.id, monthlyBudgetUsd: '1' });
    const keyAlert = await admin.admin.budgetAlerts.create.mutate({ scope: 'API_KEY', subjectId: budgeted.apiKey.id, thresholdPercent: 50 });
    await spend(() => server.trpc(budgeted.secret), server.app, owner.userId, 0.5);
    await server.app.operators.alertsIdle();
    const keyEvents = await server.app.db.prisma.budgetEvent.findMany({ where: { alertId: keyAlert.id } });
    expect(keyEvents.map((e) => [e.scope, e.subjectId, e.limitKind, e.ownerUserId, e.deliveryState])).toEqual([['API_KEY', budgeted.apiKey.id, 'USD', owner.userId, 'NONE']]);
  }, 60_000);

  it('webhook targets not allowed, loopback or private are refused at creation (BAD_INPUT webhookUrl)', async () => {
    const { userId } = await createUserWithKey(server, 'targets@example.com');
    const refused = async (webhookUrl: string) => {
      const data = await trpcErrorData(server.trpc().admin.budgetAlerts.create.mutate({ scope: 'USER', subjectId: userId, thresholdPercent: 80, webhookUrl }));
      return `${data.appCode}:${data.field}`;
    };
    expect(await refused('https://hooks.example.com/budget')).toBe('BAD_INPUT:webhookUrl'); // not listed
    expect(await refused(`http://localhost:${receiver.port}/hook`)).toBe('BAD_INPUT:webhookUrl'); // loopback, not listed
    expect(await refused('http://127.0.0.1:9/hook')).toBe('BAD_INPUT:webhookUrl'); // loopback on another port
    expect(await refused('http://10.0.0.8/hook')).toBe('BAD_INPUT:webhookUrl'); // private
    expect(await refused('http://169.254.169.254/latest/meta-data')).toBe('BAD_INPUT:webhookUrl'); // link-local metadata
    expect(await refused('http://[::1]:80/hook')).toBe('BAD_INPUT:webhookUrl');
    expect(await refused(`ftp://127.0.0.1:${receiver.port}/hook`)).toBe('BAD_INPUT:webhookUrl');
    expect(await server.app.db.prisma.budgetAlert.count({ where: { subjectId: userId } })).toBe(0);
    // a threshold or subject that is not one
    expect((await trpcErrorData(server.trpc().admin.budgetAlerts.create.mutate({ scope: 'USER', subjectId: userId, thresholdPercent: 0 }))).field).toBe('thresholdPercent');
    expect((await trpcErrorData(server.trpc().admin.budgetAlerts.create.mutate({ scope: 'TEAM', subjectId: userId, thresholdPercent: 50 }))).appCode).toBe('NOT_FOUND');
  });

  it('alerts are admin-only; budgetAlerts lists them and deleteBudgetAlert removes one', async () => {
    const { userId, key } = await createUserWithKey(server, 'alert-admin@example.com');
    expect((await trpcErrorData(server.trpc(key).admin.budgetAlerts.create.mutate({ scope: 'USER', subjectId: userId, thresholdPercent: 50 }))).appCode).toBe('FORBIDDEN');
    expect((await trpcErrorData(server.trpc(key).admin.budgetAlerts.list.query())).appCode).toBe('FORBIDDEN');
    const created = await server.gql<{ createBudgetAlert: { id: string } }>(`mutation { createBudgetAlert(input: { scope: USER, subjectId: "${userId}", thresholdPercent: 90 }) { id webhookUrl } }`);
    const id = created.data!.createBudgetAlert.id;
    const listed = await server.gql<{ budgetAlerts: Array<{ id: string }> }>('{ budgetAlerts { id scope subjectId thresholdPercent webhookUrl } }');
    expect(listed.data!.budgetAlerts.map((a) => a.id)).toContain(id);
    const deleted = await server.gql<{ deleteBudgetAlert: boolean }>(`mutation { deleteBudgetAlert(id: "${id}") }`);
    expect(deleted.data!.deleteBudgetAlert).toBe(true);
    const after = await server.gql<{ budgetAlerts: Array<{ id: string }> }>('{ budgetAlerts { id } }');
    expect(after.data!.budgetAlerts.map((a) => a.id)).not.toContain(id);
    const again = await server.gql(`mutation { deleteBudgetAlert(id: "${id}") }`);
    expect(again.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });
});

describe.skipIf(!process.env.DATABASE_URL)('budget alerts over two instances (PostgreSQL)', () => {
  let db: FreshDatabase;
  let apps: App[] = [];
  let urls: string[] = [];
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  beforeAll(async () => {
    receiver = await startReceiver();
    db = await freshDatabase();
    const env = testEnv(db, { WEBHOOK_ALLOWED_HOSTS: `127.0.0.1:${receiver.port}`, BUDGET_WEBHOOK_SECRET: SECRET, WEBHOOK_RETRY_BASE_MS: '150' });
    const first = await createApp(env, { logger: createLogger('silent') });
    apps = [first];
    urls = [await first.listen(0)];
    const admin = trpcHttp(urls[0]!, ADMIN_KEY);
    await admin.admin.setModelPrice.mutate({ model: MODEL, inputPerMTok: '5000', outputPerMTok: '5000' });
    const second = await createApp(env, { logger: createLogger('silent') });
    apps.push(second);
    urls.push(await second.listen(0));
  }, 90_000);
  afterAll(async () => {
    for (const app of apps) await app.close();
    await db?.cleanup();
    await receiver?.close();
  });

  it('calls through both instances cross 50 % of $1: one stored event, one POST', async () => {
    const admin = trpcHttp(urls[0]!, ADMIN_KEY);
    const user = await admin.admin.createUser.mutate({ email: 'cluster-alert@example.com', role: 'USER' });
    const { secret } = await admin.admin.createApiKey.mutate({ userId: user.id, name: 't' });
    await admin.admin.setUserLimits.mutate({ userId: user.id, monthlyBudgetUsd: '1' });
    const alert = await trpcHttp(urls[1]!, ADMIN_KEY).admin.budgetAlerts.create.mutate({ scope: 'USER', subjectId: user.id, thresholdPercent: 50, webhookUrl: receiver.url });
    let n = 0;
    await spend(() => trpcHttp(urls[n++ % 2]!, secret), apps[0]!, user.id, 0.5);
    // Both instances check the same subject at once: still one event.
    await Promise.all(apps.map((app) => app.operators.alertsIdle()));
    await until(() => receiver.posts.length >= 1 || undefined);
    await new Promise((r) => setTimeout(r, 1_500));
    expect(await apps[0]!.db.prisma.budgetEvent.count({ where: { alertId: alert.id } })).toBe(1);
    expect(receiver.posts).toHaveLength(1);
    expect(receiver.posts[0]!.headers['x-switchboard-signature']).toBe(sign(receiver.posts[0]!.body));
  }, 90_000);
});
