-- reporting.usage gains the call's modality and the units it was billed on (appended columns).
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
  r."characters"                           AS characters
FROM "UsageRecord" r
JOIN "User" u ON u."id" = r."userId"
LEFT JOIN "ApiKey" k ON k."id" = r."apiKeyId"
LEFT JOIN "Team" t ON t."id" = r."teamId";

COMMENT ON COLUMN "reporting"."usage".modality IS 'What the call produced: TEXT, EMBEDDING, IMAGE, TRANSCRIPTION or SPEECH';
COMMENT ON COLUMN "reporting"."usage".images IS 'Images generated (IMAGE calls)';
COMMENT ON COLUMN "reporting"."usage".image_tiles IS 'Billed 512x512 tiles of the generated image (IMAGE calls)';
COMMENT ON COLUMN "reporting"."usage".image_steps IS 'Billed diffusion steps (IMAGE calls)';
COMMENT ON COLUMN "reporting"."usage".audio_seconds IS 'Billed audio seconds: input audio (TRANSCRIPTION) or generated audio (SPEECH priced per minute)';
COMMENT ON COLUMN "reporting"."usage".characters IS 'Billed input characters (SPEECH)';
