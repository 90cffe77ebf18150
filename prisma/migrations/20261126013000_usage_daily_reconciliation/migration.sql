-- The reconciliation report (the dashboard's "Reconciliation with Cloudflare" panel) reads whole
-- days from the daily roll-up instead of aggregating every ledger row of the range (a month of a
-- million rows took ~0.4 s of a full scan on its own, several times that beside the page's other
-- reads). A roll-up group gains the rows' reconciliation state, and the sums it needs: Cloudflare's
-- cost (with how many rows had one) and the drift (Cloudflare's cost minus ours where both are
-- known). Reconciliation updates ledger rows, so the UPDATE trigger moves their sums from one
-- state's group to another's, as it already moves a finalised row from PENDING.

-- DropIndex
DROP INDEX "UsageDaily_group_key";

-- AlterTable
ALTER TABLE "UsageDaily" ADD COLUMN     "driftUsd" DECIMAL(30,10) NOT NULL DEFAULT 0,
ADD COLUMN     "reconciliation" "ReconcileState" NOT NULL DEFAULT 'UNCHECKED',
ADD COLUMN     "upstreamCostUsd" DECIMAL(30,10) NOT NULL DEFAULT 0,
ADD COLUMN     "upstreamPricedRequests" BIGINT NOT NULL DEFAULT 0;

-- CreateIndex (unique, nulls equal to nulls: the triggers' ON CONFLICT target)
CREATE UNIQUE INDEX "UsageDaily_group_key" ON "UsageDaily"("day", "userId", "model", "gatewayId", "api", "status", "apiKeyId", "teamId", "tagsHash", "reconciliation") NULLS NOT DISTINCT;

-- Hand-written below the generated part: the trigger function at the new grain (keeps
-- 20261125230500's statement-level design: one aggregate upsert per statement, in key order).
CREATE OR REPLACE FUNCTION "usage_daily_apply"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    UPDATE "UsageDaily" AS d SET
      "requests" = d."requests" - o."requests",
      "inputTokens" = d."inputTokens" - o."inputTokens",
      "outputTokens" = d."outputTokens" - o."outputTokens",
      "cachedInputTokens" = d."cachedInputTokens" - o."cachedInputTokens",
      "cacheWriteTokens" = d."cacheWriteTokens" - o."cacheWriteTokens",
      "reasoningTokens" = d."reasoningTokens" - o."reasoningTokens",
      "totalTokens" = d."totalTokens" - o."totalTokens",
      "costUsd" = d."costUsd" - o."costUsd",
      "pricedRequests" = d."pricedRequests" - o."pricedRequests",
      "estimatedRequests" = d."estimatedRequests" - o."estimatedRequests",
      "upstreamCostUsd" = d."upstreamCostUsd" - o."upstreamCostUsd",
      "upstreamPricedRequests" = d."upstreamPricedRequests" - o."upstreamPricedRequests",
      "driftUsd" = d."driftUsd" - o."driftUsd"
    FROM (
      SELECT ("createdAt" AT TIME ZONE 'UTC')::date AS "day", "userId", "requestedModel" AS "model", "gatewayId", "api", "status",
             "apiKeyId", "teamId", md5(coalesce("tags"::text, '')) AS "tagsHash", "reconciliation",
             count(*) AS "requests", sum("inputTokens") AS "inputTokens", sum("outputTokens") AS "outputTokens",
             sum("cachedInputTokens") AS "cachedInputTokens", sum("cacheWriteTokens") AS "cacheWriteTokens",
             sum("reasoningTokens") AS "reasoningTokens", sum("totalTokens") AS "totalTokens",
             coalesce(sum("costUsd"), 0) AS "costUsd", count("costUsd") AS "pricedRequests",
             count(*) FILTER (WHERE "usageEstimated") AS "estimatedRequests",
             coalesce(sum("upstreamCostUsd"), 0) AS "upstreamCostUsd", count("upstreamCostUsd") AS "upstreamPricedRequests",
             coalesce(sum("upstreamCostUsd" - "costUsd"), 0) AS "driftUsd"
      FROM old_rows GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10
    ) AS o
    WHERE d."day" = o."day" AND d."userId" = o."userId" AND d."model" = o."model"
      AND d."gatewayId" = o."gatewayId" AND d."api" = o."api" AND d."status" = o."status"
      AND d."apiKeyId" IS NOT DISTINCT FROM o."apiKeyId" AND d."teamId" IS NOT DISTINCT FROM o."teamId"
      AND d."tagsHash" = o."tagsHash" AND d."reconciliation" = o."reconciliation";
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    INSERT INTO "UsageDaily" AS d ("day", "userId", "model", "gatewayId", "api", "status", "apiKeyId", "teamId", "tags", "reconciliation", "requests",
      "inputTokens", "outputTokens", "cachedInputTokens", "cacheWriteTokens", "reasoningTokens", "totalTokens", "costUsd", "pricedRequests", "estimatedRequests",
      "upstreamCostUsd", "upstreamPricedRequests", "driftUsd")
    SELECT ("createdAt" AT TIME ZONE 'UTC')::date, "userId", "requestedModel", "gatewayId", "api", "status", "apiKeyId", "teamId", "tags", "reconciliation",
           count(*), sum("inputTokens"), sum("outputTokens"), sum("cachedInputTokens"), sum("cacheWriteTokens"),
           sum("reasoningTokens"), sum("totalTokens"), coalesce(sum("costUsd"), 0), count("costUsd"),
           count(*) FILTER (WHERE "usageEstimated"),
           coalesce(sum("upstreamCostUsd"), 0), count("upstreamCostUsd"), coalesce(sum("upstreamCostUsd" - "costUsd"), 0)
    FROM new_rows GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 ORDER BY 1, 2, 3, 4, 5, 6, 7, 8, md5(coalesce("tags"::text, '')), 10
    ON CONFLICT ("day", "userId", "model", "gatewayId", "api", "status", "apiKeyId", "teamId", "tagsHash", "reconciliation") DO UPDATE SET
      "requests" = d."requests" + EXCLUDED."requests",
      "inputTokens" = d."inputTokens" + EXCLUDED."inputTokens",
      "outputTokens" = d."outputTokens" + EXCLUDED."outputTokens",
      "cachedInputTokens" = d."cachedInputTokens" + EXCLUDED."cachedInputTokens",
      "cacheWriteTokens" = d."cacheWriteTokens" + EXCLUDED."cacheWriteTokens",
      "reasoningTokens" = d."reasoningTokens" + EXCLUDED."reasoningTokens",
      "totalTokens" = d."totalTokens" + EXCLUDED."totalTokens",
      "costUsd" = d."costUsd" + EXCLUDED."costUsd",
      "pricedRequests" = d."pricedRequests" + EXCLUDED."pricedRequests",
      "estimatedRequests" = d."estimatedRequests" + EXCLUDED."estimatedRequests",
      "upstreamCostUsd" = d."upstreamCostUsd" + EXCLUDED."upstreamCostUsd",
      "upstreamPricedRequests" = d."upstreamPricedRequests" + EXCLUDED."upstreamPricedRequests",
      "driftUsd" = d."driftUsd" + EXCLUDED."driftUsd";
  END IF;
  RETURN NULL;
END
$$;

-- Rebuild the roll-up at the new grain from the ledger.
TRUNCATE "UsageDaily";
INSERT INTO "UsageDaily" ("day", "userId", "model", "gatewayId", "api", "status", "apiKeyId", "teamId", "tags", "reconciliation", "requests", "inputTokens",
  "outputTokens", "cachedInputTokens", "cacheWriteTokens", "reasoningTokens", "totalTokens", "costUsd", "pricedRequests", "estimatedRequests",
  "upstreamCostUsd", "upstreamPricedRequests", "driftUsd")
SELECT ("createdAt" AT TIME ZONE 'UTC')::date, "userId", "requestedModel", "gatewayId", "api", "status", "apiKeyId", "teamId", "tags", "reconciliation",
       count(*), sum("inputTokens"), sum("outputTokens"), sum("cachedInputTokens"), sum("cacheWriteTokens"),
       sum("reasoningTokens"), sum("totalTokens"), coalesce(sum("costUsd"), 0), count("costUsd"),
       count(*) FILTER (WHERE "usageEstimated"),
       coalesce(sum("upstreamCostUsd"), 0), count("upstreamCostUsd"), coalesce(sum("upstreamCostUsd" - "costUsd"), 0)
FROM "UsageRecord" GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10;

-- reporting.usage_daily is documented as one row per (day, user, model, gateway, API, status):
-- it sums the roll-up's finer groups (API key, team, tag set, reconciliation state) to that grain.
CREATE OR REPLACE VIEW "reporting"."usage_daily" AS
SELECT
  d."day"                          AS day,
  d."userId"                       AS user_id,
  u."email"                        AS user_email,
  d."model"                        AS model,
  d."gatewayId"                    AS gateway_id,
  d."api"::text                    AS api,
  d."status"::text                 AS status,
  sum(d."requests")::bigint          AS requests,
  sum(d."inputTokens")::bigint       AS input_tokens,
  sum(d."outputTokens")::bigint      AS output_tokens,
  sum(d."cachedInputTokens")::bigint AS cached_input_tokens,
  sum(d."cacheWriteTokens")::bigint  AS cache_write_tokens,
  sum(d."reasoningTokens")::bigint   AS reasoning_tokens,
  sum(d."totalTokens")::bigint       AS total_tokens,
  (CASE WHEN sum(d."pricedRequests") > 0 THEN sum(d."costUsd") END)::numeric AS cost_usd,
  sum(d."pricedRequests")::bigint    AS priced_requests
FROM "UsageDaily" d
JOIN "User" u ON u."id" = d."userId"
WHERE d."requests" > 0
GROUP BY d."day", d."userId", u."email", d."model", d."gatewayId", d."api", d."status";
