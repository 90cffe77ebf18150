// usageReport / usage.report: the ledger aggregated in the database. Whole UTC days come from
// the "UsageDaily" roll-up (kept by triggers on the ledger), the partial days at either edge of
// the range from "UsageRecord" itself (range-source.ts); one GROUP BY GROUPING SETS query returns
// the grouped rows and the totals together.
//
// Who may see what: a USER sees only its own rows. A USER naming another user's id gets
// NOT_FOUND (another user's usage is indistinguishable from a missing one); a USER asking for
// allUsers gets FORBIDDEN (a role question, nothing to hide). An ADMIN may name any user (an
// unknown id is NOT_FOUND) or ask for all users; with neither, the report is the caller's own.
import type { Usage } from '../../upstream/call-vocabulary.ts';
import type { PrismaClient } from '../../db/index.ts';
import { AppError, notFound } from '../../platform/errors.ts';
import { isAdmin, type Principal } from '../access/principal.ts';
import { normalizeDecimal } from '../pricing/pricing.ts';
import { rangeSourceSql, type RangeFilter } from './range-source.ts';
import type { UsageDimension, UsageReportInput } from './schemas.ts';

/** Every token category of the ledger, summed (see Usage), plus the request counts. */
export interface UsageTotals extends Usage {
  requests: number;
  /** Rows whose usage is estimated (the upstream reported none); counted in `requests` too. */
  estimatedRequests: number;
  /** Decimal string: the sum of the priced calls' costs; null when no call in the group had a price. */
  costUsd: string | null;
  /** OK calls with no cost because their model had no price (their cost is null, never zero). */
  unpricedRequests: number;
  /** The billed units of non-text calls, summed (embedding tokens are in inputTokens). */
  images: number;
  imageTiles: number;
  imageSteps: number;
  audioSeconds: number;
  characters: number;
  /** Calls answered from AI Gateway's cache (cost 0). */
  cacheHits: number;
  /** Decimal string: what the cache hits would have cost (an unpriced hit counts 0); null when there was no hit. */
  cacheSavedUsd: string | null;
}

export interface UsageReportRow extends UsageTotals {
  /** UTC day, YYYY-MM-DD */
  day: string | null;
  /** The model that served the calls. */
  model: string | null;
  /** The model the caller named. */
  requestedModel: string | null;
  gatewayId: string | null;
  userId: string | null;
  api: string | null;
  status: string | null;
  apiKeyId: string | null;
  teamId: string | null;
  /** SURFACE: the API surface (GRAPHQL, TRPC, OPENAI, ANTHROPIC). */
  surface: string | null;
  /** TAG: one row per tag key and value (a call with two tags counts in both); untagged calls have null key and value. */
  tagKey: string | null;
  tagValue: string | null;
  /** MODALITY: TEXT, EMBEDDING, IMAGE, TRANSCRIPTION or SPEECH. */
  modality: string | null;
  /** The grouped user's email, key's name and team's name (null when not grouped by it, or none). */
  userEmail: string | null;
  apiKeyName: string | null;
  teamName: string | null;
}

export interface UsageReport {
  rows: UsageReportRow[];
  totals: UsageTotals;
}

interface DimensionSql {
  /** The column grouped on (raw, cheap to hash). */
  group: string;
  /** How it is shown. */
  show: string;
  /** How it sorts. */
  order: string;
  key: keyof UsageReportRow;
  /** A people-readable name of the group, looked up once per group row (the outer column is not a column of the looked-up table). */
  label?: { sql: string; key: 'userEmail' | 'apiKeyName' | 'teamName' };
}

const DIMENSION_SQL: Record<Exclude<UsageDimension, 'TAG'>, DimensionSql> = {
  DAY: { group: `"day"`, show: `to_char("day", 'YYYY-MM-DD')`, order: `"day"`, key: 'day' },
  MODEL: { group: `"model"`, show: `"model"`, order: `"model" COLLATE "C"`, key: 'model' },
  REQUESTED_MODEL: { group: `"requestedModel"`, show: `"requestedModel"`, order: `"requestedModel" COLLATE "C"`, key: 'requestedModel' },
  GATEWAY: { group: `"gatewayId"`, show: `"gatewayId"`, order: `"gatewayId" COLLATE "C"`, key: 'gatewayId' },
  USER: {
    group: `"userId"`, show: `"userId"::text`, order: `"userId"`, key: 'userId',
    label: { sql: `(SELECT l."email" FROM "User" l WHERE l."id" = "userId")`, key: 'userEmail' },
  },
  API: { group: `"api"`, show: `"api"::text`, order: `"api"::text COLLATE "C"`, key: 'api' },
  STATUS: { group: `"status"`, show: `"status"::text`, order: `"status"::text COLLATE "C"`, key: 'status' },
  API_KEY: {
    group: `"apiKeyId"`, show: `"apiKeyId"::text`, order: `"apiKeyId"`, key: 'apiKeyId',
    label: { sql: `(SELECT l."name" FROM "ApiKey" l WHERE l."id" = "apiKeyId")`, key: 'apiKeyName' },
  },
  MODALITY: { group: `"modality"`, show: `"modality"::text`, order: `"modality"::text COLLATE "C"`, key: 'modality' },
  TEAM: {
    group: `"teamId"`, show: `"teamId"::text`, order: `"teamId"`, key: 'teamId',
    label: { sql: `(SELECT l."name" FROM "Team" l WHERE l."id" = "teamId")`, key: 'teamName' },
  },
  SURFACE: { group: `"surface"`, show: `"surface"::text`, order: `"surface"::text COLLATE "C"`, key: 'surface' },
};

/** TAG is two columns of the calls' tags expanded one row per entry (jsonb_each_text). */
const TAG_SQL: DimensionSql[] = [
  { group: `"tagKey"`, show: `"tagKey"`, order: `"tagKey" COLLATE "C"`, key: 'tagKey' },
  { group: `"tagValue"`, show: `"tagValue"`, order: `"tagValue" COLLATE "C"`, key: 'tagValue' },
];

const dimensionSql = (groupBy: readonly UsageDimension[]) => groupBy.flatMap((d) => (d === 'TAG' ? TAG_SQL : [DIMENSION_SQL[d]]));

const SUMS = ['requests', 'inputTokens', 'outputTokens', 'cachedInputTokens', 'cacheWriteTokens', 'reasoningTokens', 'totalTokens', 'estimatedRequests', 'unpricedRequests', 'cacheHits',
  'images', 'imageTiles', 'imageSteps', 'audioSeconds', 'characters'] as const;
/** Decimal sums (null when no row had one). */
const MONEY = ['costUsd', 'cacheSavedUsd'] as const;

/** The scope of a report once access is checked: one user or everyone. */
export interface ReportQuery extends RangeFilter {
  groupBy: UsageDimension[];
  userId: string | null;
}

/** The SQL and parameters of a report (exported for the benchmark's EXPLAIN). */
export function reportSql(q: ReportQuery): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  const p = (value: unknown, cast: string) => {
    params.push(value);
    return `$${params.length}::${cast}`;
  };
  const dims = dimensionSql(q.groupBy);
  const sums = [...SUMS.map((s) => `sum("${s}")::text AS "${s}"`), ...MONEY.map((m) => `sum("${m}")::text AS "${m}"`)];
  const shown = dims.flatMap((d, i) => [`${d.show} AS "d${i}"`, ...(d.label ? [`${d.label.sql} AS "l${i}"`] : [])]);
  const select = [...shown, ...sums];
  let sql = `WITH src AS (${rangeSourceSql(q, p)})\n`;
  if (q.groupBy.includes('TAG')) {
    // Sum per tag set first (few sets: cheap), then expand each set one row per entry for the
    // groups; the totals come from the sets themselves (a call with two tags is one call).
    const keep = [...dims.filter((d) => d.key !== 'tagKey' && d.key !== 'tagValue').map((d) => d.group), `"tags"`].join(', ');
    const setSums = [...SUMS, ...MONEY].map((c) => `sum("${c}") AS "${c}"`).join(', ');
    sql += `, bySet AS (SELECT ${keep}, ${setSums} FROM src GROUP BY ${keep})\n`;
    sql += `, tagged AS (SELECT bySet.*, t.key AS "tagKey", t.value AS "tagValue" FROM bySet LEFT JOIN LATERAL jsonb_each_text(bySet."tags") AS t(key, value) ON true)\n`;
    sql += `SELECT * FROM (SELECT ${select.join(', ')}, 0 AS "isTotal" FROM tagged GROUP BY ${dims.map((d) => d.group).join(', ')}\n`;
    const none = dims.flatMap((d, i) => [`NULL AS "d${i}"`, ...(d.label ? [`NULL AS "l${i}"`] : [])]);
    sql += ` UNION ALL SELECT ${[...none, ...sums].join(', ')}, 1 AS "isTotal" FROM bySet) AS grouped`;
    sql += ` ORDER BY "isTotal", ${dims.map((_, i) => `"d${i}" COLLATE "C"`).join(', ')}`;
  } else if (dims.length > 0) {
    sql += `SELECT ${select.join(', ')}, GROUPING(${dims[0]!.group}) AS "isTotal" FROM src GROUP BY GROUPING SETS ((${dims.map((d) => d.group).join(', ')}), ())`;
    sql += ` ORDER BY "isTotal", ${dims.map((d) => d.order).join(', ')}`;
  } else {
    sql += `SELECT ${select.join(', ')} FROM src`;
  }
  return { sql, params };
}

type RawRow = Record<string, string | number | null>;

function totalsOf(raw: RawRow | undefined): UsageTotals {
  const n = (k: string) => (raw && raw[k] !== null ? Number(raw[k]) : 0);
  return {
    requests: n('requests'),
    inputTokens: n('inputTokens'),
    outputTokens: n('outputTokens'),
    cachedInputTokens: n('cachedInputTokens'),
    cacheWriteTokens: n('cacheWriteTokens'),
    reasoningTokens: n('reasoningTokens'),
    totalTokens: n('totalTokens'),
    estimatedRequests: n('estimatedRequests'),
    unpricedRequests: n('unpricedRequests'),
    images: n('images'),
    imageTiles: n('imageTiles'),
    imageSteps: n('imageSteps'),
    audioSeconds: n('audioSeconds'),
    characters: n('characters'),
    costUsd: raw && raw.costUsd !== null ? normalizeDecimal(String(raw.costUsd)) : null,
    cacheHits: n('cacheHits'),
    cacheSavedUsd: raw && raw.cacheSavedUsd != null ? normalizeDecimal(String(raw.cacheSavedUsd)) : null,
  };
}

export function createUsageReports({ prisma }: { prisma: PrismaClient }) {
  /** Resolves who the report covers, or throws NOT_FOUND / FORBIDDEN (see the top of this file). */
  async function scopeOf(principal: Principal, input: Pick<UsageReportInput, 'userId' | 'allUsers'>): Promise<string | null> {
    if (!isAdmin(principal)) {
      if (input.allUsers) throw new AppError('FORBIDDEN', 'Only admins may report on all users');
      if (input.userId && input.userId !== principal.userId) throw notFound('User');
      return principal.userId;
    }
    if (input.allUsers) return null;
    if (input.userId && input.userId !== principal.userId) {
      const user = await prisma.user.findUnique({ where: { id: input.userId }, select: { id: true } });
      if (!user) throw notFound('User');
      return user.id;
    }
    return principal.userId;
  }

  async function run(q: ReportQuery): Promise<UsageReport> {
    const { sql, params } = reportSql(q);
    // One JSON value instead of N result rows: the client's per-row decoding dominated big reports.
    const [result] = await prisma.$queryRawUnsafe<Array<{ rows: string | RawRow[] | null }>>(
      `SELECT coalesce(json_agg(r), '[]')::text AS "rows" FROM (${sql}) AS r`,
      ...params,
    );
    const raw: RawRow[] = typeof result?.rows === 'string' ? JSON.parse(result.rows) : (result?.rows ?? []);
    if (q.groupBy.length === 0) return { rows: [], totals: totalsOf(raw[0]) };
    const dims = dimensionSql(q.groupBy);
    const rows: UsageReportRow[] = [];
    let totals: UsageTotals = totalsOf(undefined);
    for (const r of raw) {
      if (Number(r.isTotal) === 1) {
        totals = totalsOf(r);
        continue;
      }
      const row: UsageReportRow = {
        day: null, model: null, requestedModel: null, gatewayId: null, userId: null, api: null, status: null, apiKeyId: null, teamId: null, surface: null, tagKey: null, tagValue: null, modality: null,
        userEmail: null, apiKeyName: null, teamName: null,
        ...totalsOf(r),
      };
      const text = (v: string | number | null | undefined) => (v === null || v === undefined ? null : String(v));
      dims.forEach((d, i) => Object.assign(row, { [d.key]: text(r[`d${i}`]), ...(d.label && { [d.label.key]: text(r[`l${i}`]) }) }));
      rows.push(row);
    }
    return { rows, totals };
  }

  async function report(principal: Principal, input: UsageReportInput): Promise<UsageReport> {
    const userId = await scopeOf(principal, input);
    return run({
      from: input.from,
      to: input.to,
      groupBy: input.groupBy,
      userId,
      model: input.model,
      gatewayId: input.gatewayId,
      apiKeyId: input.apiKeyId,
      teamId: input.teamId,
      tags: input.tags,
    });
  }

  return { report, run, scopeOf };
}

export type UsageReports = ReturnType<typeof createUsageReports>;
