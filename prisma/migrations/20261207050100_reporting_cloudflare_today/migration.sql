-- reporting.usage: model is now the model that served the call (as usageReport's MODEL), the
-- requested one is requested_model; it gains the cache hit, what it saved, and the neurons.
-- reporting.usage_daily: its model is the served one too (the roll-up's model; in-flight rows
-- from the ledger likewise).
CREATE OR REPLACE VIEW "reporting"."usage" AS
SELECT
  r."id"                                   AS id,
  r."callId"                               AS call_id,
  r."attempt"                              AS attempt,
  r."createdAt"                            AS created_at,
  r."finishedAt"                           AS finished_at,
  (r."createdAt" AT TIME ZONE 'UTC')::date AS day,
  r."userId"                               AS user_id,
  u."email"                                AS user_email,
  r."apiKeyId"                             AS api_key_id,
  k."name"                                 AS api_key_name,
  r."teamId"                               AS team_id,
  t."name"                                 AS team_name,
  r."tags"                                 AS tags,
  coalesce(r."servedModel", r."requestedModel") AS model,
  r."servedModel"                          AS served_model,
  r."api"::text                            AS api,
  r."gatewayId"                            AS gateway_id,
  r."status"::text                         AS status,
  r."errorCode"                            AS error_code,
  r."upstreamStatus"                       AS upstream_status,
  r."streamed"                             AS streamed,
  r."transport"                            AS transport,
  r."inputTokens"                          AS input_tokens,
  r."outputTokens"                         AS output_tokens,
  r."cachedInputTokens"                    AS cached_input_tokens,
  r."cacheWriteTokens"                     AS cache_write_tokens,
  r."reasoningTokens"                      AS reasoning_tokens,
  r."totalTokens"                          AS total_tokens,
  r."costUsd"                              AS cost_usd,
  r."priceVersionId"                       AS price_version_id,
  r."usageEstimated"                       AS usage_estimated,
  r."latencyMs"                            AS latency_ms,
  r."timeToFirstTokenMs"                   AS time_to_first_token_ms,
  r."finishReason"                         AS finish_reason,
  r."cacheStatus"                          AS cache_status,
  r."upstreamLogId"                        AS upstream_log_id,
  r."idempotencyKey"                       AS idempotency_key,
  r."conversationId"                       AS conversation_id,
  r."reconciliation"::text                 AS reconciliation,
  r."upstreamCostUsd"                      AS upstream_cost_usd,
  r."upstreamTokensIn"                     AS upstream_tokens_in,
  r."upstreamTokensOut"                    AS upstream_tokens_out,
  r."upstreamSuccess"                      AS upstream_success,
  r."upstreamStatusCode"                   AS upstream_status_code,
  r."reconciledAt"                         AS reconciled_at,
  r."requestedModel"                       AS requested_model,
  r."cacheHit"                             AS cache_hit,
  r."cacheSavedUsd"                        AS cache_saved_usd,
  r."neurons"                              AS neurons
FROM "UsageRecord" r
JOIN "User" u ON u."id" = r."userId"
LEFT JOIN "ApiKey" k ON k."id" = r."apiKeyId"
LEFT JOIN "Team" t ON t."id" = r."teamId";

COMMENT ON COLUMN "reporting"."usage".model IS 'The model that served the call (same as served_model); reports group by it';
COMMENT ON COLUMN "reporting"."usage".requested_model IS 'The model the caller named (may be dynamic/<route> or cloudflare/auto)';
COMMENT ON COLUMN "reporting"."usage".served_model IS 'The model that served the call: cf-aig-model / cf-aig-routed-model, else the requested model; prices and reports use it';
COMMENT ON COLUMN "reporting"."usage".cache_hit IS 'True when AI Gateway answered from its cache (cf-aig-cache-status: HIT); such a row costs 0';
COMMENT ON COLUMN "reporting"."usage".cache_saved_usd IS 'For a cache hit: what the call would have cost at the served model''s price; null otherwise';
COMMENT ON COLUMN "reporting"."usage".neurons IS 'Neurons Workers AI billed for the call (cf-ai-neurons), when the reply said';

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
