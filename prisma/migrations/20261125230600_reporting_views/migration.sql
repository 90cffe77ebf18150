-- Read-only views for analysts in schema "reporting": snake_case names over the quoted camelCase
-- tables, enums as text, a COMMENT on every column. Hand-written (Prisma does not model views);
-- docs/sql.md has ready queries and a GRANT recipe for a read-only role.
CREATE SCHEMA IF NOT EXISTS "reporting";
COMMENT ON SCHEMA "reporting" IS 'Read-only views of the Switchboard ledger, conversations and messages for analysts (see docs/sql.md)';

-- One row per upstream attempt (the usage ledger).
CREATE VIEW "reporting"."usage" AS
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
  r."requestedModel"                       AS model,
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
  r."reconciledAt"                         AS reconciled_at
FROM "UsageRecord" r
JOIN "User" u ON u."id" = r."userId"
LEFT JOIN "ApiKey" k ON k."id" = r."apiKeyId"
LEFT JOIN "Team" t ON t."id" = r."teamId";

COMMENT ON VIEW "reporting"."usage" IS 'The usage ledger: one row per upstream HTTP attempt (rows of one logical call share call_id); rows are never deleted';
COMMENT ON COLUMN "reporting"."usage".id IS 'Row id; also the cf-aig-event-id sent with the upstream request';
COMMENT ON COLUMN "reporting"."usage".call_id IS 'The logical call: retries of one call share it';
COMMENT ON COLUMN "reporting"."usage".attempt IS 'Attempt number within the call, from 1';
COMMENT ON COLUMN "reporting"."usage".created_at IS 'When the attempt started (timestamptz, UTC); reports bucket by it';
COMMENT ON COLUMN "reporting"."usage".finished_at IS 'When the attempt was finalised; null while PENDING';
COMMENT ON COLUMN "reporting"."usage".day IS 'UTC calendar day of created_at';
COMMENT ON COLUMN "reporting"."usage".user_id IS 'The user the call is billed to';
COMMENT ON COLUMN "reporting"."usage".user_email IS 'That user''s email';
COMMENT ON COLUMN "reporting"."usage".api_key_id IS 'The API key that made the call; null for the bootstrap admin key and older rows';
COMMENT ON COLUMN "reporting"."usage".api_key_name IS 'That key''s name';
COMMENT ON COLUMN "reporting"."usage".team_id IS 'The user''s team when the call was made; null when none';
COMMENT ON COLUMN "reporting"."usage".team_name IS 'That team''s name';
COMMENT ON COLUMN "reporting"."usage".tags IS 'The request''s metadata (also sent as cf-aig-metadata): a flat JSON object; expand with jsonb_each_text(tags)';
COMMENT ON COLUMN "reporting"."usage".model IS 'The model as requested, e.g. openai/gpt-5.5';
COMMENT ON COLUMN "reporting"."usage".served_model IS 'The model as the provider reported it';
COMMENT ON COLUMN "reporting"."usage".api IS 'Upstream API used: CHAT_COMPLETIONS, RESPONSES, MESSAGES or RUN';
COMMENT ON COLUMN "reporting"."usage".gateway_id IS 'Cloudflare AI Gateway id the call went through';
COMMENT ON COLUMN "reporting"."usage".status IS 'PENDING (in flight), OK, ERROR, CANCELLED (client left) or INTERRUPTED (the process died)';
COMMENT ON COLUMN "reporting"."usage".error_code IS 'Switchboard error code when status is ERROR, e.g. UPSTREAM_ERROR';
COMMENT ON COLUMN "reporting"."usage".upstream_status IS 'HTTP status the upstream answered with, when it answered';
COMMENT ON COLUMN "reporting"."usage".streamed IS 'True for streaming calls';
COMMENT ON COLUMN "reporting"."usage".transport IS 'How the client called: trpc-http, graphql-sse, graphql-ws, ...';
COMMENT ON COLUMN "reporting"."usage".input_tokens IS 'Input tokens neither read from nor written to the prompt cache';
COMMENT ON COLUMN "reporting"."usage".output_tokens IS 'Output tokens, reasoning included';
COMMENT ON COLUMN "reporting"."usage".cached_input_tokens IS 'Input tokens read from the prompt cache';
COMMENT ON COLUMN "reporting"."usage".cache_write_tokens IS 'Input tokens written to the prompt cache';
COMMENT ON COLUMN "reporting"."usage".reasoning_tokens IS 'The reasoning share of output_tokens';
COMMENT ON COLUMN "reporting"."usage".total_tokens IS 'input + cached input + cache write + output tokens';
COMMENT ON COLUMN "reporting"."usage".cost_usd IS 'Cost in USD (numeric, exact to 10 places); null when the model had no price';
COMMENT ON COLUMN "reporting"."usage".price_version_id IS 'The price version that computed cost_usd';
COMMENT ON COLUMN "reporting"."usage".usage_estimated IS 'True when the upstream reported no usage and the tokens are Switchboard''s estimate';
COMMENT ON COLUMN "reporting"."usage".latency_ms IS 'Milliseconds from request start to the end of the reply';
COMMENT ON COLUMN "reporting"."usage".time_to_first_token_ms IS 'Milliseconds to the first output token (streams)';
COMMENT ON COLUMN "reporting"."usage".finish_reason IS 'Why generation stopped, as the provider said (stop, length, tool_calls, ...)';
COMMENT ON COLUMN "reporting"."usage".cache_status IS 'AI Gateway cache status (cf-aig-cache-status): HIT or MISS';
COMMENT ON COLUMN "reporting"."usage".upstream_log_id IS 'AI Gateway log id (cf-aig-log-id)';
COMMENT ON COLUMN "reporting"."usage".idempotency_key IS 'The idempotency key the client sent, if any';
COMMENT ON COLUMN "reporting"."usage".conversation_id IS 'The conversation of a chat call; null for generate';
COMMENT ON COLUMN "reporting"."usage".reconciliation IS 'Reconciliation with AI Gateway logs: UNCHECKED, MATCHED, DRIFT or MISSING_UPSTREAM';
COMMENT ON COLUMN "reporting"."usage".upstream_cost_usd IS 'Cost AI Gateway logged for this request (after reconciliation)';
COMMENT ON COLUMN "reporting"."usage".upstream_tokens_in IS 'Input tokens AI Gateway logged';
COMMENT ON COLUMN "reporting"."usage".upstream_tokens_out IS 'Output tokens AI Gateway logged';
COMMENT ON COLUMN "reporting"."usage".upstream_success IS 'Whether AI Gateway logged the request as a success';
COMMENT ON COLUMN "reporting"."usage".upstream_status_code IS 'HTTP status AI Gateway logged';
COMMENT ON COLUMN "reporting"."usage".reconciled_at IS 'When the row was last reconciled';

-- Per UTC day, user, model, gateway, API and status: the roll-up the reports read.
CREATE VIEW "reporting"."usage_daily" AS
SELECT
  d."day"                AS day,
  d."userId"             AS user_id,
  u."email"              AS user_email,
  d."model"              AS model,
  d."gatewayId"          AS gateway_id,
  d."api"::text          AS api,
  d."status"::text       AS status,
  d."requests"           AS requests,
  d."inputTokens"        AS input_tokens,
  d."outputTokens"       AS output_tokens,
  d."cachedInputTokens"  AS cached_input_tokens,
  d."cacheWriteTokens"   AS cache_write_tokens,
  d."reasoningTokens"    AS reasoning_tokens,
  d."totalTokens"        AS total_tokens,
  CASE WHEN d."pricedRequests" > 0 THEN d."costUsd" END AS cost_usd,
  d."pricedRequests"     AS priced_requests
FROM "UsageDaily" d
JOIN "User" u ON u."id" = d."userId"
WHERE d."requests" > 0;

COMMENT ON VIEW "reporting"."usage_daily" IS 'reporting.usage summed per UTC day, user, model, gateway, API and status (kept by triggers; cheap over long ranges)';
COMMENT ON COLUMN "reporting"."usage_daily".day IS 'UTC calendar day';
COMMENT ON COLUMN "reporting"."usage_daily".user_id IS 'The user the calls are billed to';
COMMENT ON COLUMN "reporting"."usage_daily".user_email IS 'That user''s email';
COMMENT ON COLUMN "reporting"."usage_daily".model IS 'The model as requested';
COMMENT ON COLUMN "reporting"."usage_daily".gateway_id IS 'Cloudflare AI Gateway id';
COMMENT ON COLUMN "reporting"."usage_daily".api IS 'Upstream API: CHAT_COMPLETIONS, RESPONSES, MESSAGES or RUN';
COMMENT ON COLUMN "reporting"."usage_daily".status IS 'PENDING, OK, ERROR, CANCELLED or INTERRUPTED';
COMMENT ON COLUMN "reporting"."usage_daily".requests IS 'Number of upstream attempts';
COMMENT ON COLUMN "reporting"."usage_daily".input_tokens IS 'Sum of uncached input tokens';
COMMENT ON COLUMN "reporting"."usage_daily".output_tokens IS 'Sum of output tokens (reasoning included)';
COMMENT ON COLUMN "reporting"."usage_daily".cached_input_tokens IS 'Sum of input tokens read from the cache';
COMMENT ON COLUMN "reporting"."usage_daily".cache_write_tokens IS 'Sum of input tokens written to the cache';
COMMENT ON COLUMN "reporting"."usage_daily".reasoning_tokens IS 'Sum of reasoning tokens';
COMMENT ON COLUMN "reporting"."usage_daily".total_tokens IS 'Sum of total tokens';
COMMENT ON COLUMN "reporting"."usage_daily".cost_usd IS 'Sum of the priced attempts'' cost in USD; null when none was priced';
COMMENT ON COLUMN "reporting"."usage_daily".priced_requests IS 'How many of the attempts had a price';

CREATE VIEW "reporting"."conversations" AS
SELECT
  c."id"        AS id,
  c."userId"    AS user_id,
  u."email"     AS user_email,
  c."title"     AS title,
  c."model"     AS model,
  c."system"    AS system_prompt,
  c."createdAt" AS created_at,
  c."updatedAt" AS updated_at,
  (SELECT count(*) FROM "Message" m WHERE m."conversationId" = c."id") AS message_count
FROM "Conversation" c
JOIN "User" u ON u."id" = c."userId";

COMMENT ON VIEW "reporting"."conversations" IS 'Chat conversations (deleted conversations are gone; their usage rows stay in reporting.usage)';
COMMENT ON COLUMN "reporting"."conversations".id IS 'Conversation id (reporting.usage.conversation_id, reporting.messages.conversation_id)';
COMMENT ON COLUMN "reporting"."conversations".user_id IS 'The user who owns it';
COMMENT ON COLUMN "reporting"."conversations".user_email IS 'Owner''s email';
COMMENT ON COLUMN "reporting"."conversations".title IS 'Title (from the first message)';
COMMENT ON COLUMN "reporting"."conversations".model IS 'Model of the latest turn';
COMMENT ON COLUMN "reporting"."conversations".system_prompt IS 'The conversation''s system prompt, if any';
COMMENT ON COLUMN "reporting"."conversations".created_at IS 'When it started';
COMMENT ON COLUMN "reporting"."conversations".updated_at IS 'Last activity';
COMMENT ON COLUMN "reporting"."conversations".message_count IS 'Number of messages';

CREATE VIEW "reporting"."messages" AS
SELECT
  m."id"             AS id,
  m."conversationId" AS conversation_id,
  c."userId"         AS user_id,
  m."position"       AS position,
  m."role"::text     AS role,
  m."content"        AS content,
  m."status"::text   AS status,
  m."toolCalls"      AS tool_calls,
  m."toolCallId"     AS tool_call_id,
  m."images"         AS images,
  m."usageRecordId"  AS usage_id,
  m."createdAt"      AS created_at
FROM "Message" m
JOIN "Conversation" c ON c."id" = m."conversationId";

COMMENT ON VIEW "reporting"."messages" IS 'Messages of the conversations, in order (position)';
COMMENT ON COLUMN "reporting"."messages".id IS 'Message id';
COMMENT ON COLUMN "reporting"."messages".conversation_id IS 'Its conversation';
COMMENT ON COLUMN "reporting"."messages".user_id IS 'The conversation''s owner';
COMMENT ON COLUMN "reporting"."messages".position IS 'Order within the conversation, from 0';
COMMENT ON COLUMN "reporting"."messages".role IS 'SYSTEM, USER, ASSISTANT or TOOL';
COMMENT ON COLUMN "reporting"."messages".content IS 'The text';
COMMENT ON COLUMN "reporting"."messages".status IS 'COMPLETE, PARTIAL (stream cut short), FAILED or INTERRUPTED';
COMMENT ON COLUMN "reporting"."messages".tool_calls IS 'Tool calls of an ASSISTANT message (JSON array of {id, name, arguments})';
COMMENT ON COLUMN "reporting"."messages".tool_call_id IS 'The tool call a TOOL message answers';
COMMENT ON COLUMN "reporting"."messages".images IS 'Images of the message (JSON array)';
COMMENT ON COLUMN "reporting"."messages".usage_id IS 'The reporting.usage row of the call that produced or carried it';
COMMENT ON COLUMN "reporting"."messages".created_at IS 'When it was stored';
