// The SQL that applies one run's staged logs to the ledger, in one transaction (see
// reconciliation-service.ts). Parameters: $1 run id, $2 gateway, $3 range start, $4 range end
// (the lag cut-off), $5 absolute cost tolerance (USD), $6 relative cost tolerance.
//
// A row is DRIFT when Cloudflare's total tokens (tokens_in + tokens_out) differ from ours, or
// when both costs are known and differ by more than max($5, $6 x Cloudflare's cost); else
// MATCHED. A row with no log is MISSING_UPSTREAM. PENDING rows (calls in flight) are left alone.
// Each statement changes only what differs, so applying the same logs again changes nothing.

const ROWS = `u."gatewayId" = $2 AND u."createdAt" >= $3::timestamptz AND u."createdAt" < $4::timestamptz AND u."status" <> 'PENDING'`;

/** A row's state against Cloudflare's record `s` (tokensIn, tokensOut, costUsd), with the tolerances as SQL expressions. */
export const stateSql = (abs: string, rel: string): string => `CASE
  WHEN (s."tokensIn" IS NOT NULL AND s."tokensOut" IS NOT NULL AND u."totalTokens" <> s."tokensIn" + s."tokensOut")
    OR (u."costUsd" IS NOT NULL AND s."costUsd" IS NOT NULL AND abs(u."costUsd" - s."costUsd") > greatest(${abs}, ${rel} * abs(s."costUsd")))
  THEN 'DRIFT' ELSE 'MATCHED' END::"ReconcileState"`;

const STATE = stateSql('$5::numeric', '$6::numeric');

/** Rows of the range with the given state, as a count (used for the run's summary). */
const count = (state: string) => `(SELECT count(*) FROM "UsageRecord" u WHERE ${ROWS} AND u."reconciliation" = '${state}')`;

/** Every statement takes all six parameters (PostgreSQL must type each one it is sent). */
const withParams = (sql: string): string =>
  `WITH "params" AS (SELECT $1::uuid AS "run", $2::text AS "gateway", $3::timestamptz AS "from", $4::timestamptz AS "to", $5::numeric AS "abs", $6::numeric AS "rel") ${sql}`;

export const APPLY_STATEMENTS: readonly string[] = [
  // 1. Match each log to its row: by event id (= the row id) ...
  `UPDATE "ReconcileStagedLog" s SET "rowId" = u."id" FROM "UsageRecord" u WHERE s."runId" = $1::uuid AND u."id" = s."eventUuid"`,
  // ... else by cf-aig-log-id, among the rows created within a day of the range (the ledger has no
  // index on the log id: its "createdAt" index bounds the search).
  `UPDATE "ReconcileStagedLog" s SET "rowId" = u."id" FROM "UsageRecord" u WHERE s."runId" = $1::uuid AND s."rowId" IS NULL AND u."upstreamLogId" = s."logId"
     AND u."createdAt" >= $3::timestamptz - interval '1 day' AND u."createdAt" < $4::timestamptz + interval '1 day'`,
  // 2. An INTERRUPTED row (estimated usage) takes Cloudflare's tokens and cost.
  `UPDATE "UsageRecord" u SET "inputTokens" = s."tokensIn", "cachedInputTokens" = 0, "cacheWriteTokens" = 0, "outputTokens" = s."tokensOut",
     "reasoningTokens" = 0, "totalTokens" = s."tokensIn" + s."tokensOut", "costUsd" = coalesce(s."costUsd", u."costUsd"), "usageEstimated" = false
   FROM "ReconcileStagedLog" s
   WHERE s."runId" = $1::uuid AND s."rowId" = u."id" AND ${ROWS} AND u."status" = 'INTERRUPTED' AND u."usageEstimated"
     AND s."tokensIn" IS NOT NULL AND s."tokensOut" IS NOT NULL`,
  // 3. Matched rows: Cloudflare's figures beside ours, and the state.
  `UPDATE "UsageRecord" u SET "upstreamTokensIn" = m."tokensIn", "upstreamTokensOut" = m."tokensOut", "upstreamCostUsd" = m."costUsd",
     "upstreamSuccess" = m."success", "upstreamStatusCode" = m."statusCode", "reconciliation" = m."state", "reconciledAt" = now()
   FROM (SELECT s."rowId", s."tokensIn", s."tokensOut", s."costUsd", s."success", s."statusCode", ${STATE} AS "state"
         FROM "ReconcileStagedLog" s JOIN "UsageRecord" u ON u."id" = s."rowId" WHERE s."runId" = $1::uuid AND ${ROWS}) AS m
   WHERE u."id" = m."rowId" AND (u."reconciliation" IS DISTINCT FROM m."state" OR u."upstreamTokensIn" IS DISTINCT FROM m."tokensIn"
     OR u."upstreamTokensOut" IS DISTINCT FROM m."tokensOut" OR u."upstreamCostUsd" IS DISTINCT FROM m."costUsd"
     OR u."upstreamSuccess" IS DISTINCT FROM m."success" OR u."upstreamStatusCode" IS DISTINCT FROM m."statusCode")`,
  // 4. Rows of the range that no log matched.
  `UPDATE "UsageRecord" u SET "reconciliation" = 'MISSING_UPSTREAM', "upstreamTokensIn" = NULL, "upstreamTokensOut" = NULL, "upstreamCostUsd" = NULL,
     "upstreamSuccess" = NULL, "upstreamStatusCode" = NULL, "reconciledAt" = now()
   WHERE ${ROWS} AND u."reconciliation" <> 'MISSING_UPSTREAM'
     AND NOT EXISTS (SELECT 1 FROM "ReconcileStagedLog" s WHERE s."runId" = $1::uuid AND s."rowId" = u."id")`,
  // 5. Logs of the range with no row: MISSING_LOCAL, kept once; a log that now has its row is no longer missing.
  `INSERT INTO "MissingLocalLog" ("logId", "gatewayId", "eventId", "loggedAt", "provider", "model", "success", "statusCode", "tokensIn", "tokensOut", "costUsd", "metadata", "runId")
   SELECT s."logId", $2, s."eventId", s."loggedAt", s."provider", s."model", s."success", s."statusCode", s."tokensIn", s."tokensOut", s."costUsd", s."metadata", $1::uuid
   FROM "ReconcileStagedLog" s WHERE s."runId" = $1::uuid AND s."rowId" IS NULL AND s."loggedAt" >= $3::timestamptz AND s."loggedAt" < $4::timestamptz
   ON CONFLICT ("logId") DO NOTHING`,
  `DELETE FROM "MissingLocalLog" l USING "ReconcileStagedLog" s WHERE s."runId" = $1::uuid AND s."rowId" IS NOT NULL AND l."logId" = s."logId"`,
  // 6. The run's summary: the range's rows by state after this run, and the drift in dollars.
  `UPDATE "ReconcileRun" SET "status" = 'OK', "finishedAt" = now(),
     "logsRead" = (SELECT count(*) FROM "ReconcileStagedLog" s WHERE s."runId" = $1::uuid),
     "matched" = ${count('MATCHED')}, "drift" = ${count('DRIFT')}, "missingUpstream" = ${count('MISSING_UPSTREAM')},
     "missingLocal" = (SELECT count(*) FROM "MissingLocalLog" l WHERE l."gatewayId" = $2 AND l."loggedAt" >= $3::timestamptz AND l."loggedAt" < $4::timestamptz),
     "driftUsd" = (SELECT coalesce(sum(u."upstreamCostUsd" - u."costUsd"), 0) FROM "UsageRecord" u WHERE ${ROWS} AND u."reconciliation" = 'DRIFT')
   WHERE "id" = $1::uuid`,
  `DELETE FROM "ReconcileStagedLog" WHERE "runId" = $1::uuid`,
].map(withParams);

/** One page (or a few) of logs into the staging table, as one JSON parameter. */
export const STAGE_SQL = `INSERT INTO "ReconcileStagedLog" ("runId", "logId", "eventId", "eventUuid", "loggedAt", "provider", "model", "success", "statusCode", "tokensIn", "tokensOut", "costUsd", "metadata")
  SELECT "runId", "logId", "eventId", "eventUuid", "loggedAt", "provider", "model", "success", "statusCode", "tokensIn", "tokensOut", "costUsd", "metadata"
  FROM json_populate_recordset(NULL::"ReconcileStagedLog", $1::json) ON CONFLICT DO NOTHING`;
