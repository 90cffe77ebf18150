// The analysts' SQL: the views in schema `reporting` (a comment on every column), and every query
// of docs/sql.md run as written, on this test's database (PGlite or PostgreSQL), checked against
// usageReport for the same range (or an independent sum where the API has no such figure).
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UsageRow } from '../../src/domain/ledger/usage-row.ts';
import type { UsageReport } from '../../src/domain/reports/usage-report.ts';
import { Dec, normalizeDecimal } from '../../src/domain/pricing/pricing.ts';
import { uuidv7 } from '../../src/platform/ids.ts';
import type { UsageDimension } from '../../src/domain/reports/schemas.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { makeRows, recordAll } from '../usage/ledger-fixture.ts';

const DOC = readFileSync(new URL('../../docs/sql.md', import.meta.url), 'utf8');

/** The numbered queries of docs/sql.md: "## N. Title" then a ```sql block. */
function docQueries(): Map<number, { title: string; sql: string }> {
  const out = new Map<number, { title: string; sql: string }>();
  for (const m of DOC.matchAll(/^## (\d+)\. (.+)\n[\s\S]*?```sql\n([\s\S]*?)```/gm)) out.set(Number(m[1]), { title: m[2]!, sql: m[3]!.trim().replace(/;$/, '') });
  return out;
}

// The doc's queries run as pasted: their range is the current UTC month.
const NOW = new Date();
const RANGE = { from: new Date(Date.UTC(NOW.getUTCFullYear(), NOW.getUTCMonth(), 1)), to: new Date(Date.UTC(NOW.getUTCFullYear(), NOW.getUTCMonth() + 1, 1)) };
const isoDay = (d: Date) => d.toISOString().slice(0, 10);
const APP_OF: Record<string, string> = { 'openai/gpt-5.5': 'search', 'anthropic/claude-sonnet-4-5': 'support', '@cf/moonshotai/kimi-k2.6': 'batch' };

interface Row extends UsageRow {
  apiKeyId: string;
  teamId: string | null;
  tags: Record<string, string> | null;
  reconciliation: 'UNCHECKED' | 'MATCHED' | 'DRIFT';
  upstreamCostUsd: string | null;
}

type Plain = Record<string, string | number | boolean | null>;

/** Prisma's raw values as plain ones: Decimal -> normalized string, bigint -> number, Date -> ISO. */
function plain(row: Record<string, unknown>): Plain {
  const out: Plain = {};
  for (const [k, v] of Object.entries(row)) {
    if (v === null || v === undefined) out[k] = null;
    else if (typeof v === 'bigint') out[k] = Number(v);
    else if (v instanceof Date) out[k] = v.toISOString();
    // numeric: money stays an exact decimal string; a sum of integers (sum(bigint) is numeric) is a number
    else if (typeof v === 'object' && 'toFixed' in v) out[k] = !k.includes('usd') && /^-?\d+$/.test(String(v)) ? Number(String(v)) : normalizeDecimal(String(v));
    else out[k] = v as string | number | boolean;
  }
  return out;
}

const decSum = (values: Array<string | null>): string | null => {
  const priced = values.filter((v): v is string => v !== null);
  return priced.length === 0 ? null : normalizeDecimal(priced.reduce((a, v) => a.plus(v), new Dec(0)));
};

/** percentile_cont as PostgreSQL computes it (linear interpolation). */
function percentileCont(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  const pos = p * (s.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
}

let server: TestServer;
let rows: Row[];
let teamName: Map<string, string>;
let emailOf: Map<string, string>;
const conversations: Array<{ id: string; messages: number }> = [];

const run = async (n: number): Promise<Plain[]> => {
  const q = docQueries().get(n);
  if (!q) throw new Error(`docs/sql.md has no query ${n}`);
  const result = await server.app.db.prisma.$queryRawUnsafe<Array<Record<string, unknown>>>(q.sql);
  return result.map(plain);
};
const report = (groupBy: UsageDimension[], range = RANGE): Promise<UsageReport> =>
  server.app.services.usage.report({ userId: '00000000-0000-0000-0000-000000000000', role: 'ADMIN' }, { ...range, groupBy, allUsers: true, userId: null, model: null, gatewayId: null });
const inRange = (r: Row, range = RANGE) => r.createdAt >= range.from && r.createdAt < range.to;

beforeAll(async () => {
  server = await startTestServer({ GATEWAYS: 'gw-a,gw-b' });
  const prisma = server.app.db.prisma;
  const users = await Promise.all(
    ['ana', 'bo', 'cy', 'di'].map((name) => prisma.user.create({ data: { id: uuidv7(), email: `${name}@example.com` } })),
  );
  emailOf = new Map(users.map((u) => [u.id, u.email]));
  const teams = await Promise.all(['red', 'blue'].map((name) => prisma.team.create({ data: { id: uuidv7(), name } })));
  teamName = new Map(teams.map((t) => [t.id, t.name]));
  const teamOf = new Map<string, string | null>([
    [users[0]!.id, teams[0]!.id],
    [users[1]!.id, teams[0]!.id],
    [users[2]!.id, teams[1]!.id],
    [users[3]!.id, null],
  ]);
  for (const [userId, teamId] of teamOf) if (teamId) await prisma.teamMember.create({ data: { userId, teamId } });
  const keyOf = new Map<string, string>();
  for (const u of users) {
    const key = await prisma.apiKey.create({ data: { id: uuidv7(), userId: u.id, name: `key-${u.email}`, prefix: `sb_${randomBytes(6).toString('hex')}`, secretHash: 'x' } });
    keyOf.set(u.id, key.id);
  }
  for (const [i, u] of users.slice(0, 3).entries()) {
    const id = uuidv7();
    await prisma.conversation.create({ data: { id, userId: u.id, title: `talk ${i}`, model: 'openai/gpt-5.5' } });
    await prisma.message.createMany({ data: Array.from({ length: i + 2 }, (_, p) => ({ id: uuidv7(), conversationId: id, position: p, role: p % 2 ? 'ASSISTANT' : 'USER', content: `m${p}` })) });
    conversations.push({ id, messages: i + 2 });
  }

  // This month with partial edge days (some rows in the last hour), and rows just outside it.
  const now = Date.now();
  const monthStart = RANGE.from.getTime();
  const recentStart = Math.max(monthStart, now - 3_600_000);
  const ids = users.map((u) => u.id);
  const base = [
    ...makeRows(ids, 240, new Date(monthStart + 5 * 3_600_000), RANGE.to.getTime() - monthStart - 10 * 3_600_000, 11),
    ...makeRows(ids, 20, new Date(recentStart), Math.max(1, now - recentStart), 12),
    ...makeRows(ids, 10, new Date(monthStart - 4 * 3_600_000), 4 * 3_600_000, 13),
    ...makeRows(ids, 10, RANGE.to, 4 * 3_600_000, 14),
  ];
  rows = base.map((r, i): Row => {
    const priced = r.costUsd !== null;
    const reconciliation = i % 7 === 0 ? 'DRIFT' : i % 3 === 0 ? 'MATCHED' : 'UNCHECKED';
    return {
      ...r,
      latencyMs: 20 + ((i * 7919) % 900),
      timeToFirstTokenMs: 5 + ((i * 104_729) % 300),
      conversationId: i % 5 === 0 ? conversations[i % conversations.length]!.id : null,
      apiKeyId: keyOf.get(r.userId)!,
      teamId: teamOf.get(r.userId) ?? null,
      tags: i % 13 === 0 ? null : { app: APP_OF[r.servedModel ?? r.requestedModel]!, env: r.gatewayId },
      reconciliation,
      upstreamCostUsd: reconciliation === 'DRIFT' ? normalizeDecimal(new Dec(priced ? r.costUsd! : 0).plus('0.0001')) : reconciliation === 'MATCHED' ? r.costUsd : null,
    };
  });
  await recordAll(server.app, rows);
  // The columns the ledger of this branch does not write yet (keys, teams, tags, reconciliation).
  await prisma.$executeRawUnsafe(
    `UPDATE "UsageRecord" AS u SET "apiKeyId" = x."apiKeyId", "teamId" = x."teamId", "tags" = x."tags", "latencyMs" = x."latencyMs",
            "timeToFirstTokenMs" = x."timeToFirstTokenMs", "conversationId" = x."conversationId",
            "reconciliation" = x."reconciliation"::"ReconcileState", "upstreamCostUsd" = x."upstreamCostUsd"
     FROM json_to_recordset($1::json) AS x(id uuid, "apiKeyId" uuid, "teamId" uuid, tags jsonb, "latencyMs" int, "timeToFirstTokenMs" int,
            "conversationId" uuid, reconciliation text, "upstreamCostUsd" numeric)
     WHERE u.id = x.id`,
    JSON.stringify(rows.map((r) => ({ id: r.id, apiKeyId: r.apiKeyId, teamId: r.teamId, tags: r.tags, latencyMs: r.latencyMs, timeToFirstTokenMs: r.timeToFirstTokenMs, conversationId: r.conversationId, reconciliation: r.reconciliation, upstreamCostUsd: r.upstreamCostUsd }))),
  );
}, 120_000);

afterAll(async () => {
  await server?.close();
});

describe('reporting views', () => {
  it('has the contract columns, snake_case, each with a comment', async () => {
    const columns = plainRows(
      await server.app.db.prisma.$queryRawUnsafe<Array<Record<string, unknown>>>(
        `SELECT c.table_name::text AS table_name, c.column_name::text AS column_name, col_description(format('%I.%I', c.table_schema, c.table_name)::regclass, c.ordinal_position) AS comment
         FROM information_schema.columns c WHERE c.table_schema = 'reporting' ORDER BY c.table_name, c.ordinal_position`,
      ),
    );
    const views = new Set(columns.map((c) => c.table_name));
    expect([...views].sort()).toEqual(['audit', 'conversations', 'messages', 'usage', 'usage_daily']);
    for (const c of columns) {
      expect(c.column_name, `${c.table_name}.${c.column_name}`).toMatch(/^[a-z][a-z0-9_]*$/);
      expect(typeof c.comment === 'string' && c.comment.length > 5, `comment on ${c.table_name}.${c.column_name}`).toBe(true);
    }
    const usage = columns.filter((c) => c.table_name === 'usage').map((c) => c.column_name);
    expect(usage).toEqual(
      expect.arrayContaining(['id', 'created_at', 'user_id', 'user_email', 'api_key_id', 'api_key_name', 'team_id', 'tags', 'model', 'api', 'gateway_id', 'status', 'input_tokens', 'output_tokens', 'cached_input_tokens', 'cache_write_tokens', 'reasoning_tokens', 'total_tokens', 'cost_usd', 'usage_estimated', 'reconciliation', 'surface']),
    );
  });

  it('reporting.usage has one row per ledger row; usageReport costUsd is the exact sum of its cost_usd', async () => {
    const [count] = (await server.app.db.prisma.$queryRawUnsafe<Array<Record<string, unknown>>>(
      `SELECT count(*) AS n, sum(cost_usd) AS cost FROM reporting.usage WHERE created_at >= '${RANGE.from.toISOString()}' AND created_at < '${RANGE.to.toISOString()}'`,
    )).map(plain);
    const totals = (await report([])).totals;
    expect(count!.n).toBe(totals.requests);
    expect(count!.cost).toBe(totals.costUsd);
    expect(totals.requests).toBe(rows.filter((r) => inRange(r)).length);
  });

  it("reporting.usage_daily has one row per (day, user, model, gateway, API, status), summing the roll-up's finer groups", async () => {
    const daily = (
      await server.app.db.prisma.$queryRawUnsafe<Array<Record<string, unknown>>>(
        `SELECT day::text AS day, user_id::text AS user_id, model, gateway_id, api, status, requests, cost_usd FROM reporting.usage_daily
         WHERE day >= '${isoDay(RANGE.from)}' AND day < '${isoDay(RANGE.to)}'`,
      )
    ).map(plain);
    const keyOf = (parts: unknown[]) => parts.join('|');
    const shown = new Map(daily.map((d) => [keyOf([d.day, d.user_id, d.model, d.gateway_id, d.api, d.status]), { requests: d.requests, cost: d.cost_usd }]));
    expect(shown.size).toBe(daily.length);
    const groups = new Map<string, Row[]>();
    for (const r of rows.filter((x) => inRange(x))) {
      const key = keyOf([r.createdAt.toISOString().slice(0, 10), r.userId, r.servedModel ?? r.requestedModel, r.gatewayId, r.api, r.status]);
      groups.set(key, [...(groups.get(key) ?? []), r]);
    }
    const expected = new Map([...groups].map(([key, members]) => [key, { requests: members.length, cost: decSum(members.map((m) => m.costUsd)) }]));
    expect(Object.fromEntries(shown)).toEqual(Object.fromEntries(expected));
    // The fixture's rows do split those groups in the roll-up (reconciliation states, keys, tags).
    const [rollUp] = (await server.app.db.prisma.$queryRawUnsafe<Array<Record<string, unknown>>>(`SELECT count(*) AS n FROM "UsageDaily" WHERE "requests" > 0 AND "day" >= '${isoDay(RANGE.from)}' AND "day" < '${isoDay(RANGE.to)}'`)).map(plain);
    expect(Number(rollUp!.n)).toBeGreaterThan(daily.length);
  });

  it('every query returns rows as pasted, on a database with this month\'s calls', async () => {
    for (const n of docQueries().keys()) expect((await run(n)).length, `query ${n}`).toBeGreaterThan(0);
  });

  it('docs/sql.md has the ten queries the issue names', () => {
    const titles = [...docQueries().entries()].map(([n, q]) => `${n}. ${q.title}`);
    expect(titles).toEqual([
      '1. Spend per user this month',
      '2. Spend per team',
      '3. Spend per tag',
      '4. Top models',
      '5. Error rates per model',
      '6. p95 latency per model',
      '7. Cost per conversation',
      '8. Reconciliation drift',
      '9. Unpriced usage',
      '10. Daily trend',
    ]);
  });
});

function plainRows(result: Array<Record<string, unknown>>): Plain[] {
  return result.map(plain);
}

describe('docs/sql.md queries agree with usageReport', () => {
  it('1. spend per user this month', async () => {
    const [result, api] = await Promise.all([run(1), report(['USER'])]);
    expect(api.rows.length).toBeGreaterThan(0);
    const expected = api.rows.map((r) => ({ user_email: emailOf.get(r.userId!)!, requests: r.requests, total_tokens: r.totalTokens, cost_usd: r.costUsd }));
    expect(sortBy(result, 'user_email')).toEqual(sortBy(expected, 'user_email'));
  });

  it('2. spend per team', async () => {
    const [result, api] = await Promise.all([run(2), report(['USER'])]);
    const teamOfUser = new Map(rows.map((r) => [r.userId, r.teamId ? teamName.get(r.teamId)! : '(no team)']));
    const byTeam = new Map<string, typeof api.rows>();
    for (const r of api.rows) byTeam.set(teamOfUser.get(r.userId!)!, [...(byTeam.get(teamOfUser.get(r.userId!)!) ?? []), r]);
    const expected = [...byTeam].map(([team, rs]) => ({
      team,
      requests: rs.reduce((a, r) => a + r.requests, 0),
      total_tokens: rs.reduce((a, r) => a + r.totalTokens, 0),
      cost_usd: decSum(rs.map((r) => r.costUsd)),
    }));
    expect(expected.map((e) => e.team).sort()).toEqual(['(no team)', 'blue', 'red']);
    expect(sortBy(result, 'team')).toEqual(sortBy(expected, 'team'));
  });

  it('3. spend per tag (untagged calls kept; an independent sum over the rows)', async () => {
    const result = await run(3);
    const groups = new Map<string, { tag_key: string; tag_value: string | null; members: Row[] }>();
    for (const r of rows.filter((x) => inRange(x))) {
      for (const [k, v] of r.tags ? Object.entries(r.tags) : [['(untagged)', null] as const]) {
        const key = `${k}=${v}`;
        const group = groups.get(key) ?? { tag_key: k, tag_value: v, members: [] };
        group.members.push(r);
        groups.set(key, group);
      }
    }
    const expected = [...groups.values()].map((g) => ({
      tag_key: g.tag_key,
      tag_value: g.tag_value,
      requests: g.members.length,
      total_tokens: g.members.reduce((a, r) => a + r.totalTokens, 0),
      cost_usd: decSum(g.members.map((r) => r.costUsd)),
    }));
    expect(expected.some((e) => e.tag_key === '(untagged)')).toBe(true);
    const key = (r: Plain | (typeof expected)[number]) => `${r.tag_key}=${r.tag_value}`;
    expect([...result].sort((a, b) => key(a).localeCompare(key(b)))).toEqual([...expected].sort((a, b) => key(a).localeCompare(key(b))));
  });

  it('4. top models', async () => {
    const [result, api] = await Promise.all([run(4), report(['MODEL'])]);
    const expected = api.rows.map((r) => ({
      model: r.model,
      requests: r.requests,
      input_tokens: r.inputTokens + r.cachedInputTokens + r.cacheWriteTokens,
      output_tokens: r.outputTokens,
      total_tokens: r.totalTokens,
      cost_usd: r.costUsd,
    }));
    expect(sortBy(result, 'model')).toEqual(sortBy(expected, 'model'));
    const costs = result.map((r) => Number(r.cost_usd));
    expect(costs).toEqual([...costs].sort((a, b) => b - a)); // most expensive first
  });

  it('5. error rates per model', async () => {
    const [result, api] = await Promise.all([run(5), report(['MODEL', 'STATUS'])]);
    const models = [...new Set(api.rows.map((r) => r.model!))];
    const count = (m: string, s?: string) => api.rows.filter((r) => r.model === m && (!s || r.status === s)).reduce((a, r) => a + r.requests, 0);
    const expected = models.map((m) => ({
      model: m,
      requests: count(m),
      errors: count(m, 'ERROR'),
      cancelled: count(m, 'CANCELLED'),
      error_rate: normalizeDecimal(new Dec(count(m, 'ERROR')).div(count(m)).toDecimalPlaces(4)),
    }));
    expect(expected.some((e) => e.errors > 0)).toBe(true);
    expect(sortBy(result, 'model')).toEqual(sortBy(expected, 'model'));
  });

  it('6. p95 latency per model', async () => {
    const [result, api] = await Promise.all([run(6), report(['MODEL', 'STATUS'])]);
    const ok = rows.filter((r) => inRange(r) && r.status === 'OK');
    const expected = api.rows
      .filter((r) => r.status === 'OK')
      .map((r) => {
        const mine = ok.filter((o) => (o.servedModel ?? o.requestedModel) === r.model);
        return {
          model: r.model,
          ok_requests: r.requests,
          p50_latency_ms: percentileCont(mine.map((o) => o.latencyMs), 0.5),
          p95_latency_ms: percentileCont(mine.map((o) => o.latencyMs), 0.95),
          p95_ttft_ms: percentileCont(mine.map((o) => o.timeToFirstTokenMs!), 0.95),
        };
      });
    expect(result).toHaveLength(expected.length);
    for (const e of expected) {
      const got = result.find((r) => r.model === e.model)!;
      expect(got.ok_requests).toBe(e.ok_requests);
      for (const k of ['p50_latency_ms', 'p95_latency_ms', 'p95_ttft_ms'] as const) expect(got[k] as number).toBeCloseTo(e[k], 6);
    }
  });

  it('7. cost per conversation', async () => {
    const result = await run(7);
    const expected = conversations.map((c) => {
      const mine = rows.filter((r) => inRange(r) && r.conversationId === c.id);
      return { conversation_id: c.id, message_count: c.messages, requests: mine.length, total_tokens: mine.reduce((a, r) => a + r.totalTokens, 0), cost_usd: decSum(mine.map((r) => r.costUsd)) };
    });
    expect(sortBy(result.map(({ title: _t, user_email: _e, ...r }) => r), 'conversation_id')).toEqual(sortBy(expected, 'conversation_id'));
    expect(result.every((r) => typeof r.title === 'string' && String(r.user_email).endsWith('@example.com'))).toBe(true);
  });

  it('8. reconciliation drift', async () => {
    const [result, api] = await Promise.all([run(8), report([])]);
    const mine = rows.filter((r) => inRange(r));
    const expected = (['DRIFT', 'MATCHED', 'UNCHECKED'] as const).map((state) => {
      const rs = mine.filter((r) => r.reconciliation === state);
      return {
        reconciliation: state,
        requests: rs.length,
        cost_usd: decSum(rs.map((r) => r.costUsd)),
        upstream_cost_usd: decSum(rs.map((r) => r.upstreamCostUsd)),
        drift_usd: state === 'DRIFT' ? normalizeDecimal(rs.reduce((a, r) => a.plus(r.upstreamCostUsd ?? 0).minus(r.costUsd ?? 0), new Dec(0))) : null,
      };
    });
    expect(result).toEqual(expected);
    expect(result.reduce((a, r) => a + Number(r.requests), 0)).toBe(api.totals.requests);
  });

  it('9. unpriced usage', async () => {
    const [result, api] = await Promise.all([run(9), report(['MODEL'])]);
    const unpriced = rows.filter((r) => inRange(r) && r.costUsd === null && r.totalTokens > 0);
    const models = [...new Set(unpriced.map((r) => r.servedModel ?? r.requestedModel))];
    const expected = models.map((m) => {
      const rs = unpriced.filter((r) => (r.servedModel ?? r.requestedModel) === m);
      const times = rs.map((r) => r.createdAt.getTime());
      return { model: m, unpriced_requests: rs.length, total_tokens: rs.reduce((a, r) => a + r.totalTokens, 0), first_seen: new Date(Math.min(...times)).toISOString(), last_seen: new Date(Math.max(...times)).toISOString() };
    });
    expect(unpriced.length).toBeGreaterThan(0);
    expect(sortBy(result, 'model')).toEqual(sortBy(expected, 'model'));
    for (const r of result) expect(Number(r.unpriced_requests)).toBeLessThanOrEqual(api.rows.find((a) => a.model === r.model)!.requests);
  });

  it('10. daily trend', async () => {
    const [result, byDay, byDayStatus] = await Promise.all([run(10), report(['DAY']), report(['DAY', 'STATUS'])]);
    const expected = byDay.rows.map((r) => {
      const errors = byDayStatus.rows.filter((s) => s.day === r.day && s.status === 'ERROR').reduce((a, s) => a + s.requests, 0);
      return { day: `${r.day}T00:00:00.000Z`, requests: r.requests, total_tokens: r.totalTokens, cost_usd: r.costUsd, errors: errors === 0 ? null : errors };
    });
    expect(result.length).toBeGreaterThan(20);
    expect(result).toEqual(expected);
  });
});

describe('the read-only role recipe', () => {
  it.skipIf(!process.env.DATABASE_URL)('can read the views and not the tables (PostgreSQL)', async () => {
    const recipe = DOC.match(/## A read-only role[\s\S]*?```sql\n([\s\S]*?)```/)![1]!;
    const role = `analyst_${randomBytes(4).toString('hex')}`;
    const url = server.app.env.DATABASE_URL!;
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(recipe.replaceAll('analyst', role));
      await client.query('BEGIN');
      await client.query(`SET LOCAL ROLE ${role}`);
      const { rows: got } = await client.query('SELECT count(*)::int AS n FROM reporting.usage');
      expect(got[0].n).toBe(rows.length);
      await expect(client.query('SELECT * FROM "ApiKey"')).rejects.toThrow(/permission denied/);
      await client.query('ROLLBACK');
      await client.query('BEGIN');
      await client.query(`SET LOCAL ROLE ${role}`);
      await client.query('SET LOCAL default_transaction_read_only = on');
      await expect(client.query('DELETE FROM reporting.usage')).rejects.toThrow(/permission denied|read-only|cannot delete/);
      await client.query('ROLLBACK');
    } finally {
      await client.query('ROLLBACK').catch(() => undefined);
      await client.query(`DROP OWNED BY ${role}; DROP ROLE IF EXISTS ${role}`).catch(() => undefined);
      await client.end();
    }
  });
});

function sortBy<T extends Record<string, unknown>>(xs: T[], key: keyof T): T[] {
  return [...xs].sort((a, b) => String(a[key]).localeCompare(String(b[key])));
}
