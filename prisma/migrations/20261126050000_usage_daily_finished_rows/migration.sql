-- The write-ahead's cost (issues 10 and 17): the roll-up counts finished attempts only. A PENDING
-- row (an attempt in flight) no longer touches "UsageDaily": its insert is the write-ahead that
-- every reply waits for, and the roll-up's upsert was ~40% of that insert's time at c=1 (and the
-- finish paid again to move the sums out of the PENDING group). Rows become finished through an
-- UPDATE (the live call's finish, or recovery's INTERRUPTED), which adds them to the roll-up then.
-- Readers that must see in-flight rows too (usageReport's range source, reporting.usage_daily)
-- add the PENDING rows from the ledger, through its small partial index on PENDING rows.

-- The trigger function of 20261126013000, with PENDING rows left out on both sides.
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
      FROM old_rows WHERE "status" <> 'PENDING' GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10
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
    FROM new_rows WHERE "status" <> 'PENDING' GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 ORDER BY 1, 2, 3, 4, 5, 6, 7, 8, md5(coalesce("tags"::text, '')), 10
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

-- The roll-up's PENDING groups are gone: in-flight rows are read from the ledger instead.
DELETE FROM "UsageDaily" WHERE "status" = 'PENDING';

-- reporting.usage_daily keeps counting every ledger row: the roll-up's finished rows plus the
-- ledger's PENDING ones (its column comments stay, as the columns are the same).
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
FROM (
  SELECT "day", "userId", "model", "gatewayId", "api", "status", "requests", "inputTokens", "outputTokens", "cachedInputTokens",
         "cacheWriteTokens", "reasoningTokens", "totalTokens", "costUsd", "pricedRequests"
  FROM "UsageDaily" WHERE "requests" > 0
  UNION ALL
  SELECT ("createdAt" AT TIME ZONE 'UTC')::date, "userId", "requestedModel", "gatewayId", "api", "status", 1, "inputTokens", "outputTokens",
         "cachedInputTokens", "cacheWriteTokens", "reasoningTokens", "totalTokens", coalesce("costUsd", 0), ("costUsd" IS NOT NULL)::int
  FROM "UsageRecord" WHERE "status" = 'PENDING'
) d
JOIN "User" u ON u."id" = d."userId"
GROUP BY d."day", d."userId", u."email", d."model", d."gatewayId", d."api", d."status";
