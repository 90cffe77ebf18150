-- The ledger's hot table keeps only the indexes its write path, recovery and the per-subject
-- reads (limit books, alerts, a user's history, exports) need: every index costs each call an
-- insertion at its write-ahead and another at its finish. Reports group from the daily roll-up;
-- their edges, the dashboard's filters and reconciliation read the ledger by its "createdAt" range.
DROP INDEX "UsageRecord_requestedModel_createdAt_idx";
DROP INDEX "UsageRecord_servedModel_createdAt_idx";
DROP INDEX "UsageRecord_gatewayId_createdAt_idx";
DROP INDEX "UsageRecord_callId_idx";
DROP INDEX "UsageRecord_upstreamLogId_idx";
DROP INDEX "UsageRecord_contentPurge_idx";
-- Only chat turns carry a conversation: the other calls stay out of this index.
DROP INDEX "UsageRecord_conversationId_idx";
CREATE INDEX "UsageRecord_conversationId_idx" ON "UsageRecord"("conversationId") WHERE "conversationId" IS NOT NULL;

CREATE OR REPLACE FUNCTION "usage_daily_apply"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- The write-ahead's PENDING rows are not in the roll-up: a statement that only inserts them, or
  -- only finalises them, skips the half that would find nothing.
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    IF EXISTS (SELECT 1 FROM old_rows WHERE "status" <> 'PENDING') THEN
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
      "driftUsd" = d."driftUsd" - o."driftUsd",
      "cacheHits" = d."cacheHits" - o."cacheHits",
      "cacheSavedUsd" = d."cacheSavedUsd" - o."cacheSavedUsd",
      "images" = d."images" - o."images",
      "imageTiles" = d."imageTiles" - o."imageTiles",
      "imageSteps" = d."imageSteps" - o."imageSteps",
      "audioSeconds" = d."audioSeconds" - o."audioSeconds",
      "characters" = d."characters" - o."characters"
    FROM (
      SELECT ("createdAt" AT TIME ZONE 'UTC')::date AS "day",
             "userId" AS "userId",
             coalesce("servedModel", "requestedModel") AS "model",
             "gatewayId" AS "gatewayId",
             "api" AS "api",
             "status" AS "status",
             "apiKeyId" AS "apiKeyId",
             "teamId" AS "teamId",
             md5(coalesce("tags"::text, '')) AS "tagsHash",
             "reconciliation" AS "reconciliation",
             "requestedModel" AS "requestedModel",
             "surface" AS "surface",
             "modality" AS "modality",
             count(*) AS "requests",
             sum("inputTokens") AS "inputTokens",
             sum("outputTokens") AS "outputTokens",
             sum("cachedInputTokens") AS "cachedInputTokens",
             sum("cacheWriteTokens") AS "cacheWriteTokens",
             sum("reasoningTokens") AS "reasoningTokens",
             sum("totalTokens") AS "totalTokens",
             coalesce(sum("costUsd"), 0) AS "costUsd",
             count("costUsd") AS "pricedRequests",
             count(*) FILTER (WHERE "usageEstimated") AS "estimatedRequests",
             coalesce(sum("upstreamCostUsd"), 0) AS "upstreamCostUsd",
             count("upstreamCostUsd") AS "upstreamPricedRequests",
             coalesce(sum("upstreamCostUsd" - "costUsd"), 0) AS "driftUsd",
             count(*) FILTER (WHERE "cacheHit") AS "cacheHits",
             coalesce(sum("cacheSavedUsd"), 0) AS "cacheSavedUsd",
             sum("images") AS "images",
             sum("imageTiles") AS "imageTiles",
             sum("imageSteps") AS "imageSteps",
             sum("audioSeconds") AS "audioSeconds",
             sum("characters") AS "characters"
      FROM old_rows WHERE "status" <> 'PENDING' GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13
    ) AS o
    WHERE d."day" = o."day"
      AND d."userId" = o."userId"
      AND d."model" = o."model"
      AND d."gatewayId" = o."gatewayId"
      AND d."api" = o."api"
      AND d."status" = o."status"
      AND d."apiKeyId" IS NOT DISTINCT FROM o."apiKeyId"
      AND d."teamId" IS NOT DISTINCT FROM o."teamId"
      AND d."tagsHash" = o."tagsHash"
      AND d."reconciliation" = o."reconciliation"
      AND d."requestedModel" = o."requestedModel"
      AND d."surface" = o."surface"
      AND d."modality" = o."modality";
    END IF;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    IF EXISTS (SELECT 1 FROM new_rows WHERE "status" <> 'PENDING') THEN
    INSERT INTO "UsageDaily" AS d ("day", "userId", "model", "gatewayId", "api", "status", "apiKeyId", "teamId", "tags", "reconciliation", "requestedModel", "surface", "modality",
      "requests", "inputTokens", "outputTokens", "cachedInputTokens", "cacheWriteTokens", "reasoningTokens", "totalTokens", "costUsd", "pricedRequests", "estimatedRequests", "upstreamCostUsd", "upstreamPricedRequests", "driftUsd", "cacheHits", "cacheSavedUsd", "images", "imageTiles", "imageSteps", "audioSeconds", "characters")
    SELECT ("createdAt" AT TIME ZONE 'UTC')::date,
           "userId",
           coalesce("servedModel", "requestedModel"),
           "gatewayId",
           "api",
           "status",
           "apiKeyId",
           "teamId",
           "tags",
           "reconciliation",
           "requestedModel",
           "surface",
           "modality",
           count(*),
           sum("inputTokens"),
           sum("outputTokens"),
           sum("cachedInputTokens"),
           sum("cacheWriteTokens"),
           sum("reasoningTokens"),
           sum("totalTokens"),
           coalesce(sum("costUsd"), 0),
           count("costUsd"),
           count(*) FILTER (WHERE "usageEstimated"),
           coalesce(sum("upstreamCostUsd"), 0),
           count("upstreamCostUsd"),
           coalesce(sum("upstreamCostUsd" - "costUsd"), 0),
           count(*) FILTER (WHERE "cacheHit"),
           coalesce(sum("cacheSavedUsd"), 0),
           sum("images"),
           sum("imageTiles"),
           sum("imageSteps"),
           sum("audioSeconds"),
           sum("characters")
    FROM new_rows WHERE "status" <> 'PENDING' GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13 ORDER BY 1, 2, 3, 4, 5, 6, 7, 8, md5(coalesce("tags"::text, '')), 10, 11, 12, 13
    ON CONFLICT ("day", "userId", "model", "gatewayId", "api", "status", "apiKeyId", "teamId", "tagsHash", "reconciliation", "requestedModel", "surface", "modality") DO UPDATE SET
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
      "driftUsd" = d."driftUsd" + EXCLUDED."driftUsd",
      "cacheHits" = d."cacheHits" + EXCLUDED."cacheHits",
      "cacheSavedUsd" = d."cacheSavedUsd" + EXCLUDED."cacheSavedUsd",
      "images" = d."images" + EXCLUDED."images",
      "imageTiles" = d."imageTiles" + EXCLUDED."imageTiles",
      "imageSteps" = d."imageSteps" + EXCLUDED."imageSteps",
      "audioSeconds" = d."audioSeconds" + EXCLUDED."audioSeconds",
      "characters" = d."characters" + EXCLUDED."characters";
    END IF;
  END IF;
  RETURN NULL;
END
$$;
