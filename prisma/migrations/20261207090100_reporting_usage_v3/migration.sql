-- reporting.usage in this release: model is the model that served the call (as usageReport's
-- MODEL), the requested one is requested_model; it gains the cache hit, what it saved, the
-- neurons, the call's modality and billed units, and the API surface that carried it (all
-- appended, so the view's earlier columns keep their places).
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
  r."neurons"                              AS neurons,
  r."modality"::text                       AS modality,
  r."images"                               AS images,
  r."imageTiles"                           AS image_tiles,
  r."imageSteps"                           AS image_steps,
  r."audioSeconds"                         AS audio_seconds,
  r."characters"                           AS characters,
  r."surface"::text                        AS surface
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
COMMENT ON COLUMN "reporting"."usage".modality IS 'What the call produced: TEXT, EMBEDDING, IMAGE, TRANSCRIPTION or SPEECH';
COMMENT ON COLUMN "reporting"."usage".images IS 'Images generated (IMAGE calls)';
COMMENT ON COLUMN "reporting"."usage".image_tiles IS 'Billed 512x512 tiles of the generated image (IMAGE calls)';
COMMENT ON COLUMN "reporting"."usage".image_steps IS 'Billed diffusion steps (IMAGE calls)';
COMMENT ON COLUMN "reporting"."usage".audio_seconds IS 'Billed audio seconds: input audio (TRANSCRIPTION) or generated audio (SPEECH priced per minute)';
COMMENT ON COLUMN "reporting"."usage".characters IS 'Billed input characters (SPEECH)';
COMMENT ON COLUMN "reporting"."usage"."surface" IS 'The API surface that carried the call: GRAPHQL, TRPC, OPENAI (/v1/chat/completions, /v1/responses) or ANTHROPIC (/v1/messages)';
