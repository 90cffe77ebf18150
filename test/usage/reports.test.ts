// usageReport / usage.report: rows and totals equal sums computed independently from the
// ledger for every grouping, over ranges with partial days at both edges (roll-up + ledger),
// and access rules (a USER sees only its own rows; an admin one user or all).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UsageRow } from '../../src/domain/ledger/usage-row.ts';
import { USAGE_DIMENSIONS, type UsageDimension } from '../../src/domain/reports/schemas.ts';
import { createUserWithKey, startTestServer, type TestServer } from '../helpers/server.ts';
import { expectedReport as expectedFromLedger, makeRows, recordAll, type Attribution } from './ledger-fixture.ts';
import { trpcCode } from '../helpers/errors.ts';

let server: TestServer;
let alice: { userId: string; key: string };
let bob: { userId: string; key: string };
let rows: UsageRow[];

const KEY_A = '0190f000-0000-7000-8000-00000000000a';
const KEY_B = '0190f000-0000-7000-8000-00000000000b';
const TEAM_X = '0190f000-0000-7000-8000-0000000000f1';
const ATTRIBUTION: Attribution = {
  apiKeyIds: [KEY_A, KEY_B, null],
  teamIds: [TEAM_X, null],
  tagSets: [{ app: 'web', env: 'prod' }, { app: 'batch' }, null, { env: 'dev', n: 3 }, { app: 'web', env: 'dev' }],
};
const START = new Date('2026-11-01T00:00:00Z');
const SPAN = 5 * 86_400_000;

beforeAll(async () => {
  server = await startTestServer({ GATEWAYS: 'gw-a,gw-b' });
  alice = await createUserWithKey(server, 'alice@example.com');
  bob = await createUserWithKey(server, 'bob@example.com');
  rows = makeRows([alice.userId, bob.userId], 400, START, SPAN, 7, ATTRIBUTION);
  // Some attempts still in flight: the roll-up holds finished rows only, so whole days must add
  // their PENDING rows from the ledger.
  rows = rows.map((r, i) => (i % 25 === 0 ? { ...r, status: 'PENDING', costUsd: null, usageEstimated: true } : r));
  await recordAll(server.app, rows);
});
afterAll(async () => {
  await server?.close();
});

/** The report expected from the ledger, with the users' emails beside their ids (the fixture's keys and teams are not stored: no names). */
const expectedReport = (ledger: readonly UsageRow[], groupBy: readonly UsageDimension[]) =>
  expectedFromLedger(ledger, groupBy, { users: { [alice.userId]: 'alice@example.com', [bob.userId]: 'bob@example.com' } });

const inRange = (from: Date, to: Date, pred: (r: UsageRow) => boolean = () => true) =>
  rows.filter((r) => r.createdAt >= from && r.createdAt < to && pred(r));

const groupings: UsageDimension[][] = [
  [],
  ...USAGE_DIMENSIONS.map((d) => [d]),
  ['DAY', 'MODEL'],
  ['USER', 'GATEWAY', 'STATUS'],
  ['TEAM', 'API_KEY'],
  ['TAG', 'DAY'],
  ['API_KEY', 'TAG'],
  [...USAGE_DIMENSIONS],
];

const ranges: Array<[string, Date, Date]> = [
  ['partial days at both edges', new Date('2026-11-01T06:30:00Z'), new Date('2026-11-04T17:45:00Z')],
  ['whole days only', new Date('2026-11-02T00:00:00Z'), new Date('2026-11-04T00:00:00Z')],
  ['inside one day', new Date('2026-11-03T01:00:00Z'), new Date('2026-11-03T22:00:00Z')],
  ['everything', new Date('2026-10-01T00:00:00Z'), new Date('2026-12-01T00:00:00Z')],
];

describe('report rows and totals equal independent sums from the ledger', () => {
  for (const [label, from, to] of ranges) {
    it(`every grouping, ${label} (tRPC, all users)`, async () => {
      const admin = server.trpc();
      for (const groupBy of groupings) {
        const report = await admin.usage.report.query({ from, to, groupBy, allUsers: true });
        expect(report, `${label} ${groupBy.join(',')}`).toEqual(expectedReport(inRange(from, to), groupBy));
      }
    });
  }

  it('in-flight rows: counted on whole days though the roll-up holds none; finishing one moves it into the roll-up', async () => {
    const [, from, to] = ranges[1]!;
    const pendingInRange = inRange(from, to, (r) => r.status === 'PENDING');
    expect(pendingInRange.length).toBeGreaterThan(0);
    const [inRollUp] = await server.app.db.prisma.$queryRawUnsafe<Array<{ n: bigint }>>(`SELECT count(*) AS n FROM "UsageDaily" WHERE "status" = 'PENDING' AND "requests" <> 0`);
    expect(Number(inRollUp!.n)).toBe(0);
    const byStatus = async () => (await server.trpc().usage.report.query({ from, to, groupBy: ['STATUS'], allUsers: true })).rows;
    expect((await byStatus()).find((r) => r.status === 'PENDING')?.requests).toBe(pendingInRange.length);

    const done = { ...pendingInRange[0]!, status: 'OK' as const, costUsd: '0.0000012345', outputTokens: 7, finishedAt: new Date() };
    await server.app.ledger.finish(done);
    rows = rows.map((r) => (r.id === done.id ? done : r));
    expect(await server.trpc().usage.report.query({ from, to, groupBy: ['STATUS', 'DAY'], allUsers: true })).toEqual(expectedReport(inRange(from, to), ['STATUS', 'DAY']));
    expect((await byStatus()).find((r) => r.status === 'PENDING')?.requests ?? 0).toBe(pendingInRange.length - 1);
  });

  it('filters by model and gateway, and by one user (admin)', async () => {
    const [, from, to] = ranges[0]!;
    const admin = server.trpc();
    const groupBy: UsageDimension[] = ['DAY', 'STATUS'];
    const byModel = await admin.usage.report.query({ from, to, groupBy, allUsers: true, model: 'openai/gpt-5.5' });
    expect(byModel).toEqual(expectedReport(inRange(from, to, (r) => r.requestedModel === 'openai/gpt-5.5' || r.servedModel === 'openai/gpt-5.5'), groupBy));
    const byGateway = await admin.usage.report.query({ from, to, groupBy, allUsers: true, gatewayId: 'gw-a', model: '@cf/moonshotai/kimi-k2.6' });
    expect(byGateway).toEqual(expectedReport(inRange(from, to, (r) => r.gatewayId === 'gw-a' && (r.requestedModel === '@cf/moonshotai/kimi-k2.6' || r.servedModel === '@cf/moonshotai/kimi-k2.6')), groupBy));
    const oneUser = await admin.usage.report.query({ from, to, groupBy: ['MODEL'], userId: bob.userId });
    expect(oneUser).toEqual(expectedReport(inRange(from, to, (r) => r.userId === bob.userId), ['MODEL']));
  });

  it('filters by API key, team and tags (every tag must match), also grouped by TAG', async () => {
    const [, from, to] = ranges[0]!;
    const admin = server.trpc();
    const byKey = await admin.usage.report.query({ from, to, groupBy: ['DAY'], allUsers: true, apiKeyId: KEY_A });
    expect(byKey).toEqual(expectedReport(inRange(from, to, (r) => r.apiKeyId === KEY_A), ['DAY']));
    const byTeam = await admin.usage.report.query({ from, to, groupBy: ['API_KEY'], allUsers: true, teamId: TEAM_X });
    expect(byTeam).toEqual(expectedReport(inRange(from, to, (r) => r.teamId === TEAM_X), ['API_KEY']));
    const webProd = (r: UsageRow) => r.tags?.app === 'web' && r.tags?.env === 'prod';
    const byTags = await admin.usage.report.query({ from, to, groupBy: ['TAG'], allUsers: true, tags: { app: 'web', env: 'prod' } });
    expect(byTags).toEqual(expectedReport(inRange(from, to, webProd), ['TAG']));
    expect(byTags.totals.requests).toBeGreaterThan(0);
    expect(byTags.totals.requests).toBeLessThan(inRange(from, to, (r) => r.tags?.app === 'web').length);
    const numeric = await admin.usage.report.query({ from, to, groupBy: [], allUsers: true, tags: { n: 3 } });
    expect(numeric.totals).toEqual(expectedReport(inRange(from, to, (r) => r.tags?.n === 3), []).totals);
    // TAG counts a call once per tag entry; the totals count it once.
    const byTag = await admin.usage.report.query({ from, to, groupBy: ['TAG'], allUsers: true });
    expect(byTag.rows.reduce((a, r) => a + r.requests, 0)).toBeGreaterThan(byTag.totals.requests);
    expect(byTag.totals.requests).toBe(inRange(from, to).length);
  });

  it('GraphQL returns the same report', async () => {
    const [, from, to] = ranges[0]!;
    const res = await server.gql<{ usageReport: unknown }>(
      `query($input: UsageReportInput!) { usageReport(input: $input) {
        rows { day model requestedModel gatewayId userId api status apiKeyId teamId surface tagKey tagValue userEmail apiKeyName teamName modality requests inputTokens outputTokens cachedInputTokens cacheWriteTokens reasoningTokens totalTokens estimatedRequests unpricedRequests costUsd cacheHits cacheSavedUsd images imageTiles imageSteps audioSeconds characters }
        totals { requests inputTokens outputTokens cachedInputTokens cacheWriteTokens reasoningTokens totalTokens estimatedRequests unpricedRequests costUsd cacheHits cacheSavedUsd images imageTiles imageSteps audioSeconds characters } } }`,
      { input: { from: from.toISOString(), to: to.toISOString(), groupBy: ['DAY', 'USER', 'SURFACE'], allUsers: true } },
    );
    expect(res.errors).toBeUndefined();
    expect(res.data!.usageReport).toEqual(expectedReport(inRange(from, to), ['DAY', 'USER', 'SURFACE']));
  });
});

describe('who sees what', () => {
  const from = new Date('2026-10-01T00:00:00Z');
  const to = new Date('2026-12-01T00:00:00Z');

  it('a USER sees only its own rows, whatever the filters', async () => {
    const client = server.trpc(alice.key);
    const own = expectedReport(inRange(from, to, (r) => r.userId === alice.userId), ['USER', 'MODEL']);
    expect(await client.usage.report.query({ from, to, groupBy: ['USER', 'MODEL'] })).toEqual(own);
    expect(await client.usage.report.query({ from, to, groupBy: ['USER', 'MODEL'], userId: alice.userId })).toEqual(own);
    for (const filter of [{ model: 'openai/gpt-5.5' }, { gatewayId: 'gw-b' }, { model: 'anthropic/claude-sonnet-4-5', gatewayId: 'default' }] as Array<{ model?: string; gatewayId?: string }>) {
      const report = await client.usage.report.query({ from, to, groupBy: ['USER'], ...filter });
      // Exactly alice's matching rows, and there are some (an empty report would prove nothing).
      const mine = inRange(from, to, (r) => r.userId === alice.userId && (!filter.model || r.requestedModel === filter.model || r.servedModel === filter.model) && (!filter.gatewayId || r.gatewayId === filter.gatewayId));
      expect(mine.length).toBeGreaterThan(0);
      expect(report).toEqual(expectedReport(mine, ['USER']));
      expect(report.rows.map((r) => r.userId)).toEqual([alice.userId]);
    }
  });

  it("another user's id is NOT_FOUND and allUsers is FORBIDDEN for a USER (both APIs)", async () => {
    const client = server.trpc(alice.key);
    expect(await trpcCode(client.usage.report.query({ from, to, groupBy: [], userId: bob.userId }))).toBe('NOT_FOUND');
    expect(await trpcCode(client.usage.report.query({ from, to, groupBy: [], allUsers: true }))).toBe('FORBIDDEN');
    const q = `query($input: UsageReportInput!) { usageReport(input: $input) { totals { requests } } }`;
    const foreign = await server.gql(q, { input: { from, to, groupBy: [], userId: bob.userId } }, alice.key);
    expect(foreign.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const all = await server.gql(q, { input: { from, to, groupBy: [], allUsers: true } }, alice.key);
    expect(all.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('an admin can report on one user or all, and an unknown user is NOT_FOUND', async () => {
    const admin = server.trpc();
    expect((await admin.usage.report.query({ from, to, groupBy: [], userId: alice.userId })).totals).toEqual(
      expectedReport(inRange(from, to, (r) => r.userId === alice.userId), []).totals,
    );
    expect((await admin.usage.report.query({ from, to, groupBy: [], allUsers: true })).totals.requests).toBe(rows.length);
    // the admin's own usage: none
    expect((await admin.usage.report.query({ from, to, groupBy: [] })).totals.requests).toBe(0);
    expect(await trpcCode(admin.usage.report.query({ from, to, groupBy: [], userId: '00000000-0000-7000-8000-00000000abcd' }))).toBe('NOT_FOUND');
  });

  it('bad input is BAD_INPUT naming the field', async () => {
    const admin = server.trpc();
    expect(await trpcCode(admin.usage.report.query({ from: to, to: from, groupBy: [] }))).toBe('BAD_INPUT');
    expect(await trpcCode(admin.usage.report.query({ from, to, groupBy: ['HOUR' as never] }))).toBe('BAD_INPUT');
    expect(await trpcCode(admin.usage.report.query({ from, to, groupBy: [], userId: alice.userId, allUsers: true }))).toBe('BAD_INPUT');
  });
});
