// The ledger's rows over a range, as SQL the reports aggregate: whole UTC days from the
// "UsageDaily" roll-up (kept by triggers on the ledger; it holds finished rows only) plus the
// PENDING rows of those days (through the ledger's partial index on PENDING rows), the partial
// days at either edge of the range from "UsageRecord" itself (through its createdAt indexes).
// Every part gives the same columns, so a sum over the source equals the same sum over the
// ledger's rows:
//
//   day, userId, model (the served model), gatewayId, api, status, apiKeyId, teamId, tags, reconciliation, surface,
//   requestedModel, requests, inputTokens, outputTokens, cachedInputTokens, cacheWriteTokens, reasoningTokens,
//   totalTokens, estimatedRequests, unpricedRequests, cacheHits (bigint);
//   modality, images, imageTiles, imageSteps, characters (bigint), audioSeconds (numeric);
//   costUsd, upstreamCostUsd (numeric; null where no row had one, so their sums are null when none did),
//   cacheSavedUsd (numeric: null where the row is no cache hit; an unpriced hit saved 0),
//   driftUsd (numeric: upstreamCostUsd - costUsd where both are known; 0 or null where none is).
//
// Used by usageReport (usage-report.ts) and the reconciliation report.

/** The range and the filters a source applies (all must match). */
export interface RangeFilter {
  from: Date;
  to: Date;
  userId?: string | null;
  model?: string | null;
  gatewayId?: string | null;
  apiKeyId?: string | null;
  teamId?: string | null;
  tags?: Record<string, string | number | boolean> | null;
}

/** Adds a parameter and returns its placeholder with a cast, e.g. `$3::uuid`. */
export type Param = (value: unknown, cast: string) => string;

const DAY_MS = 86_400_000;
const dayFloor = (d: Date) => new Date(Math.floor(d.getTime() / DAY_MS) * DAY_MS);
const dayCeil = (d: Date) => new Date(Math.ceil(d.getTime() / DAY_MS) * DAY_MS);
const isoDay = (d: Date) => d.toISOString().slice(0, 10);

/** A UNION ALL of SELECTs (no WITH, no trailing semicolon) over the range's rows. */
export function rangeSourceSql(q: RangeFilter, p: Param): string {
  const filters = (modelColumn: string): string => {
    const parts: string[] = [];
    if (q.userId) parts.push(`"userId" = ${p(q.userId, 'uuid')}`);
    if (q.model) {
      // The model served the calls or was the one named.
      const model = p(q.model, 'text');
      parts.push(`(${modelColumn} = ${model} OR "requestedModel" = ${model})`);
    }
    if (q.gatewayId) parts.push(`"gatewayId" = ${p(q.gatewayId, 'text')}`);
    if (q.apiKeyId) parts.push(`"apiKeyId" = ${p(q.apiKeyId, 'uuid')}`);
    if (q.teamId) parts.push(`"teamId" = ${p(q.teamId, 'uuid')}`);
    if (q.tags && Object.keys(q.tags).length > 0) parts.push(`"tags" @> ${p(JSON.stringify(q.tags), 'jsonb')}`);
    return parts.map((f) => ` AND ${f}`).join('');
  };
  const ledger = (from: Date, to: Date, where = '') =>
    `SELECT ("createdAt" AT TIME ZONE 'UTC')::date AS "day", "userId", coalesce("servedModel", "requestedModel") AS "model", "gatewayId", "api", "status",
            "apiKeyId", "teamId", "tags", "reconciliation", "surface", 1::bigint AS "requests", "inputTokens"::bigint, "outputTokens"::bigint, "cachedInputTokens"::bigint,
            "cacheWriteTokens"::bigint, "reasoningTokens"::bigint, "totalTokens"::bigint, "costUsd"::numeric AS "costUsd",
            CASE WHEN "usageEstimated" THEN 1 ELSE 0 END::bigint AS "estimatedRequests",
            ("status" = 'OK' AND "costUsd" IS NULL)::int::bigint AS "unpricedRequests",
            "upstreamCostUsd"::numeric AS "upstreamCostUsd", ("upstreamCostUsd" - "costUsd")::numeric AS "driftUsd",
            "modality", "images"::bigint, "imageTiles"::bigint, "imageSteps"::bigint, "audioSeconds"::numeric, "characters"::bigint,
            "requestedModel", "cacheHit"::int::bigint AS "cacheHits", (CASE WHEN "cacheHit" THEN coalesce("cacheSavedUsd", 0) END)::numeric AS "cacheSavedUsd"
     FROM "UsageRecord"
     WHERE "createdAt" >= ${p(from.toISOString(), 'timestamptz')} AND "createdAt" < ${p(to.toISOString(), 'timestamptz')}${where}${filters('coalesce("servedModel", "requestedModel")')}`;

  const fullFrom = dayCeil(q.from);
  const fullTo = dayFloor(q.to);
  if (fullFrom.getTime() >= fullTo.getTime()) return ledger(q.from, q.to);
  const parts = [
    `SELECT "day", "userId", "model", "gatewayId", "api", "status", "apiKeyId", "teamId", "tags", "reconciliation", "surface", "requests", "inputTokens", "outputTokens",
            "cachedInputTokens", "cacheWriteTokens", "reasoningTokens", "totalTokens", CASE WHEN "pricedRequests" > 0 THEN "costUsd" END AS "costUsd",
            "estimatedRequests", CASE WHEN "status" = 'OK' THEN "requests" - "pricedRequests" ELSE 0 END AS "unpricedRequests",
            CASE WHEN "upstreamPricedRequests" > 0 THEN "upstreamCostUsd" END AS "upstreamCostUsd", "driftUsd",
            "modality", "images", "imageTiles", "imageSteps", "audioSeconds", "characters",
            "requestedModel", "cacheHits", CASE WHEN "cacheHits" > 0 THEN "cacheSavedUsd" END AS "cacheSavedUsd"
     FROM "UsageDaily"
     WHERE "day" >= ${p(isoDay(fullFrom), 'date')} AND "day" < ${p(isoDay(fullTo), 'date')} AND "requests" > 0${filters('"model"')}`,
    // Attempts in flight on those days (the roll-up adds a row once it is finished).
    ledger(fullFrom, fullTo, ` AND "status" = 'PENDING'`),
  ];
  if (q.from.getTime() < fullFrom.getTime()) parts.push(ledger(q.from, fullFrom));
  if (fullTo.getTime() < q.to.getTime()) parts.push(ledger(fullTo, q.to));
  return parts.join('\n UNION ALL\n');
}
