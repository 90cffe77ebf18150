// A deterministic ledger for report tests: rows over several days, users, models, gateways,
// APIs and statuses, written through the real ledger (so the roll-up triggers run).
import type { App } from '../../src/app.ts';
import { prng } from '../helpers/prng.ts';
import { uuidv7 } from '../../src/platform/ids.ts';
import { SURFACES, type UsageRow } from '../../src/domain/ledger/usage-row.ts';
import { Dec } from '../../src/domain/pricing/pricing.ts';
import type { UsageDimension } from '../../src/domain/reports/schemas.ts';
import type { UsageReportRow, UsageTotals } from '../../src/domain/reports/usage-report.ts';

export const MODELS = ['openai/gpt-5.5', 'anthropic/claude-sonnet-4-5', '@cf/moonshotai/kimi-k2.6'] as const;
export const GATEWAYS = ['default', 'gw-a', 'gw-b'] as const;
const APIS = ['CHAT_COMPLETIONS', 'RESPONSES', 'MESSAGES', 'RUN'] as const;
const STATUSES = ['OK', 'OK', 'OK', 'ERROR', 'CANCELLED'] as const;

/** Attribution to draw from: API keys, teams (null among them = none) and tag sets. */
export interface Attribution {
  apiKeyIds: ReadonlyArray<string | null>;
  teamIds: ReadonlyArray<string | null>;
  tagSets: ReadonlyArray<Record<string, string | number | boolean> | null>;
}
const NO_ATTRIBUTION: Attribution = { apiKeyIds: [null], teamIds: [null], tagSets: [null] };

export function makeRows(userIds: readonly string[], n: number, start: Date, spanMs: number, seed = 1, attribution: Attribution = NO_ATTRIBUTION): UsageRow[] {
  const rand = prng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
  return Array.from({ length: n }, () => routedAndCached(row(), rand, pick));

  function row(): UsageRow {
    const input = Math.floor(rand() * 5000);
    const cached = Math.floor(rand() * 1000);
    const write = rand() < 0.2 ? Math.floor(rand() * 500) : 0;
    const output = Math.floor(rand() * 2000);
    const reasoning = Math.floor(rand() * output);
    const priced = rand() < 0.7;
    return {
      id: uuidv7(),
      callId: uuidv7(),
      attempt: 1,
      ownerId: null,
      userId: pick(userIds),
      apiKeyId: pick(attribution.apiKeyIds),
      teamId: pick(attribution.teamIds),
      tags: pick(attribution.tagSets),
      requestedModel: pick(MODELS),
      servedModel: null,
      api: pick(APIS),
      gatewayId: pick(GATEWAYS),
      status: pick(STATUSES),
      errorCode: null,
      upstreamStatus: null,
      streamed: rand() < 0.5,
      transport: 'test',
      // Spread over every surface without drawing from the generator (the other columns stay as they were).
      surface: SURFACES[input % SURFACES.length]!,
      inputTokens: input,
      outputTokens: output,
      cachedInputTokens: cached,
      cacheWriteTokens: write,
      reasoningTokens: reasoning,
      totalTokens: input + cached + write + output,
      costUsd: priced ? new Dec(Math.floor(rand() * 1e9)).div('1e10').toFixed() : null,
      priceVersionId: null,
      latencyMs: 5,
      timeToFirstTokenMs: null,
      cacheStatus: null,
      upstreamLogId: null,
      idempotencyKey: null,
      conversationId: null,
      usageEstimated: rand() < 0.1,
      finishReason: null,
      cacheHit: false,
      cacheSavedUsd: null,
      neurons: null,
      createdAt: new Date(start.getTime() + Math.floor(rand() * spanMs)),
      finishedAt: null,
    } satisfies UsageRow;
  }
}

/** Some rows served by another model than the one named (a route), some answered from the cache (cost 0). */
function routedAndCached(r: UsageRow, rand: () => number, pick: <T>(xs: readonly T[]) => T): UsageRow {
  const servedModel = rand() < 0.25 ? pick(MODELS) : r.requestedModel;
  if (rand() >= 0.1 || r.status !== 'OK') return { ...r, servedModel };
  return { ...r, servedModel, cacheHit: true, cacheStatus: 'HIT', cacheSavedUsd: r.costUsd, costUsd: r.costUsd === null ? null : '0' };
}

export async function recordAll(app: App, rows: readonly UsageRow[]): Promise<void> {
  await Promise.all(rows.map((r) => app.ledger.record(r)));
}

const KEY: Record<Exclude<UsageDimension, 'TAG'>, (r: UsageRow) => string | null> = {
  DAY: (r) => r.createdAt.toISOString().slice(0, 10),
  MODEL: (r) => r.servedModel ?? r.requestedModel,
  REQUESTED_MODEL: (r) => r.requestedModel,
  GATEWAY: (r) => r.gatewayId,
  USER: (r) => r.userId,
  API: (r) => r.api,
  STATUS: (r) => r.status,
  API_KEY: (r) => r.apiKeyId,
  TEAM: (r) => r.teamId,
  SURFACE: (r) => r.surface,
  MODALITY: (r) => r.modality ?? 'TEXT',
};
const FIELD: Record<Exclude<UsageDimension, 'TAG'>, keyof UsageReportRow> = {
  DAY: 'day', MODEL: 'model', GATEWAY: 'gatewayId', USER: 'userId', API: 'api', STATUS: 'status', API_KEY: 'apiKeyId', TEAM: 'teamId', SURFACE: 'surface', MODALITY: 'modality', REQUESTED_MODEL: 'requestedModel',
};
const EMPTY_DIMENSIONS = {
  day: null, model: null, requestedModel: null, gatewayId: null, userId: null, api: null, status: null, apiKeyId: null, teamId: null, surface: null, tagKey: null, tagValue: null,
  userEmail: null, apiKeyName: null, teamName: null, modality: null,
};

/** The people-readable names a report shows beside grouped ids (id -> email / name); unknown ids have none. */
export interface Names {
  users?: Readonly<Record<string, string>>;
  apiKeys?: Readonly<Record<string, string>>;
  teams?: Readonly<Record<string, string>>;
}

function namesOf(dims: Record<string, string | null>, groupBy: readonly UsageDimension[], names: Names): Record<string, string | null> {
  const of = (table: Readonly<Record<string, string>> | undefined, id: string | null | undefined) => (id ? (table?.[id] ?? null) : null);
  return {
    ...(groupBy.includes('USER') && { userEmail: of(names.users, dims.userId) }),
    ...(groupBy.includes('API_KEY') && { apiKeyName: of(names.apiKeys, dims.apiKeyId) }),
    ...(groupBy.includes('TEAM') && { teamName: of(names.teams, dims.teamId) }),
  };
}

/** A row's groups: one per tag entry under TAG (an untagged row: one with null key and value). */
function groupKeys(r: UsageRow, groupBy: readonly UsageDimension[]): Array<Record<string, string | null>> {
  const base: Record<string, string | null> = {};
  for (const d of groupBy) if (d !== 'TAG') base[FIELD[d]] = KEY[d](r);
  if (!groupBy.includes('TAG')) return [base];
  const entries = Object.entries(r.tags ?? {});
  if (entries.length === 0) return [{ ...base, tagKey: null, tagValue: null }];
  return entries.map(([k, v]) => ({ ...base, tagKey: k, tagValue: String(v) }));
}

function sums(rows: readonly UsageRow[]): UsageTotals {
  const priced = rows.filter((r) => r.costUsd !== null);
  return {
    requests: rows.length,
    inputTokens: rows.reduce((a, r) => a + r.inputTokens, 0),
    outputTokens: rows.reduce((a, r) => a + r.outputTokens, 0),
    cachedInputTokens: rows.reduce((a, r) => a + r.cachedInputTokens, 0),
    cacheWriteTokens: rows.reduce((a, r) => a + r.cacheWriteTokens, 0),
    reasoningTokens: rows.reduce((a, r) => a + r.reasoningTokens, 0),
    totalTokens: rows.reduce((a, r) => a + r.totalTokens, 0),
    estimatedRequests: rows.filter((r) => r.usageEstimated).length,
    unpricedRequests: rows.filter((r) => r.status === 'OK' && r.costUsd === null).length,
    images: rows.reduce((a, r) => a + (r.images ?? 0), 0),
    imageTiles: rows.reduce((a, r) => a + (r.imageTiles ?? 0), 0),
    imageSteps: rows.reduce((a, r) => a + (r.imageSteps ?? 0), 0),
    audioSeconds: rows.reduce((a, r) => a + (r.audioSeconds ?? 0), 0),
    characters: rows.reduce((a, r) => a + (r.characters ?? 0), 0),
    costUsd: priced.length === 0 ? null : priced.reduce((a, r) => a.plus(r.costUsd!), new Dec(0)).toFixed(),
    cacheHits: rows.filter((r) => r.cacheHit).length,
    cacheSavedUsd: rows.some((r) => r.cacheHit) ? rows.filter((r) => r.cacheHit).reduce((a, r) => a.plus(r.cacheSavedUsd ?? 0), new Dec(0)).toFixed() : null,
  };
}

/** The report computed independently, in JS, from the ledger rows: rows sorted like the server sorts them. */
export function expectedReport(rows: readonly UsageRow[], groupBy: readonly UsageDimension[], names: Names = {}) {
  const groups = new Map<string, { dims: Record<string, string | null>; members: UsageRow[] }>();
  for (const r of rows) {
    for (const dims of groupKeys(r, groupBy)) {
      const key = JSON.stringify(dims);
      const g = groups.get(key) ?? { dims, members: [] };
      g.members.push(r);
      groups.set(key, g);
    }
  }
  const out = [...groups.values()].map(({ dims, members }) => ({ ...EMPTY_DIMENSIONS, ...dims, ...namesOf(dims, groupBy, names), ...sums(members) }) as UsageReportRow);
  // The server's order: by the grouped dimensions in turn, bytewise (COLLATE "C"), nulls last.
  const columns = groupBy.flatMap((d) => (d === 'TAG' ? (['tagKey', 'tagValue'] as const) : [FIELD[d]]));
  const sortKey = (r: UsageReportRow) => columns.map((c) => (r[c] === null ? '\uffff' : String(r[c])));
  out.sort((a, b) => {
    const ka = sortKey(a);
    const kb = sortKey(b);
    for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return ka[i]! < kb[i]! ? -1 : 1;
    return 0;
  });
  return { rows: groupBy.length === 0 ? [] : out, totals: sums(rows) };
}
