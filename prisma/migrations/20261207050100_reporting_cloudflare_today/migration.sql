-- reporting.usage_daily: its model is the served one too (the roll-up's model; in-flight rows
-- from the ledger likewise).
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
  SELECT ("createdAt" AT TIME ZONE 'UTC')::date, "userId", coalesce("servedModel", "requestedModel"), "gatewayId", "api", "status", 1, "inputTokens", "outputTokens",
         "cachedInputTokens", "cacheWriteTokens", "reasoningTokens", "totalTokens", coalesce("costUsd", 0), ("costUsd" IS NOT NULL)::int
  FROM "UsageRecord" WHERE "status" = 'PENDING'
) d
JOIN "User" u ON u."id" = d."userId"
GROUP BY d."day", d."userId", u."email", d."model", d."gatewayId", d."api", d."status";
COMMENT ON COLUMN "reporting"."usage_daily".model IS 'The model that served the calls (a route or the Auto Router may serve another than the one named)';
