-- Every modality of the universal endpoint: a ledger row says what the call produced (TEXT,
-- EMBEDDING, IMAGE, TRANSCRIPTION, SPEECH) and the units it was billed on (images, 512x512 image
-- tiles, steps, audio seconds, characters; embedding tokens are its input tokens). Prices gain
-- per-unit columns. The daily roll-up groups by modality and sums the units.

CREATE TYPE "Modality" AS ENUM ('TEXT', 'EMBEDDING', 'IMAGE', 'TRANSCRIPTION', 'SPEECH');

ALTER TABLE "UsageRecord" ADD COLUMN "modality" "Modality" NOT NULL DEFAULT 'TEXT',
ADD COLUMN "images" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN "imageTiles" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN "imageSteps" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN "audioSeconds" DECIMAL(14,3) NOT NULL DEFAULT 0,
ADD COLUMN "characters" INTEGER NOT NULL DEFAULT 0;

ALTER TABLE "ModelPrice" ADD COLUMN "perImageTile" DECIMAL(20,10),
ADD COLUMN "perImageStep" DECIMAL(20,10),
ADD COLUMN "perAudioMinute" DECIMAL(20,10),
ADD COLUMN "perThousandChars" DECIMAL(20,10);

DROP INDEX "UsageDaily_group_key";
ALTER TABLE "UsageDaily" ADD COLUMN "modality" "Modality" NOT NULL DEFAULT 'TEXT',
ADD COLUMN "images" BIGINT NOT NULL DEFAULT 0,
ADD COLUMN "imageTiles" BIGINT NOT NULL DEFAULT 0,
ADD COLUMN "imageSteps" BIGINT NOT NULL DEFAULT 0,
ADD COLUMN "audioSeconds" DECIMAL(20,3) NOT NULL DEFAULT 0,
ADD COLUMN "characters" BIGINT NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX "UsageDaily_group_key" ON "UsageDaily"("day", "userId", "model", "gatewayId", "api", "status", "apiKeyId", "teamId", "tagsHash", "reconciliation", "modality") NULLS NOT DISTINCT;

-- The trigger function of 20261126050000 at the new grain (modality in the key, the units summed).
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
      "driftUsd" = d."driftUsd" - o."driftUsd",
      "images" = d."images" - o."images",
      "imageTiles" = d."imageTiles" - o."imageTiles",
      "imageSteps" = d."imageSteps" - o."imageSteps",
      "audioSeconds" = d."audioSeconds" - o."audioSeconds",
      "characters" = d."characters" - o."characters"
    FROM (
      SELECT ("createdAt" AT TIME ZONE 'UTC')::date AS "day", "userId", "requestedModel" AS "model", "gatewayId", "api", "status",
             "apiKeyId", "teamId", md5(coalesce("tags"::text, '')) AS "tagsHash", "reconciliation", "modality",
             count(*) AS "requests", sum("inputTokens") AS "inputTokens", sum("outputTokens") AS "outputTokens",
             sum("cachedInputTokens") AS "cachedInputTokens", sum("cacheWriteTokens") AS "cacheWriteTokens",
             sum("reasoningTokens") AS "reasoningTokens", sum("totalTokens") AS "totalTokens",
             coalesce(sum("costUsd"), 0) AS "costUsd", count("costUsd") AS "pricedRequests",
             count(*) FILTER (WHERE "usageEstimated") AS "estimatedRequests",
             coalesce(sum("upstreamCostUsd"), 0) AS "upstreamCostUsd", count("upstreamCostUsd") AS "upstreamPricedRequests",
             coalesce(sum("upstreamCostUsd" - "costUsd"), 0) AS "driftUsd",
             sum("images") AS "images", sum("imageTiles") AS "imageTiles", sum("imageSteps") AS "imageSteps",
             sum("audioSeconds") AS "audioSeconds", sum("characters") AS "characters"
      FROM old_rows WHERE "status" <> 'PENDING' GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11
    ) AS o
    WHERE d."day" = o."day" AND d."userId" = o."userId" AND d."model" = o."model"
      AND d."gatewayId" = o."gatewayId" AND d."api" = o."api" AND d."status" = o."status"
      AND d."apiKeyId" IS NOT DISTINCT FROM o."apiKeyId" AND d."teamId" IS NOT DISTINCT FROM o."teamId"
      AND d."tagsHash" = o."tagsHash" AND d."reconciliation" = o."reconciliation" AND d."modality" = o."modality";
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    INSERT INTO "UsageDaily" AS d ("day", "userId", "model", "gatewayId", "api", "status", "apiKeyId", "teamId", "tags", "reconciliation", "requests",
      "inputTokens", "outputTokens", "cachedInputTokens", "cacheWriteTokens", "reasoningTokens", "totalTokens", "costUsd", "pricedRequests", "estimatedRequests",
      "upstreamCostUsd", "upstreamPricedRequests", "driftUsd", "modality", "images", "imageTiles", "imageSteps", "audioSeconds", "characters")
    SELECT ("createdAt" AT TIME ZONE 'UTC')::date, "userId", "requestedModel", "gatewayId", "api", "status", "apiKeyId", "teamId", "tags", "reconciliation",
           count(*), sum("inputTokens"), sum("outputTokens"), sum("cachedInputTokens"), sum("cacheWriteTokens"),
           sum("reasoningTokens"), sum("totalTokens"), coalesce(sum("costUsd"), 0), count("costUsd"),
           count(*) FILTER (WHERE "usageEstimated"),
           coalesce(sum("upstreamCostUsd"), 0), count("upstreamCostUsd"), coalesce(sum("upstreamCostUsd" - "costUsd"), 0),
           "modality", sum("images"), sum("imageTiles"), sum("imageSteps"), sum("audioSeconds"), sum("characters")
    FROM new_rows WHERE "status" <> 'PENDING' GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, "modality" ORDER BY 1, 2, 3, 4, 5, 6, 7, 8, md5(coalesce("tags"::text, '')), 10, "modality"
    ON CONFLICT ("day", "userId", "model", "gatewayId", "api", "status", "apiKeyId", "teamId", "tagsHash", "reconciliation", "modality") DO UPDATE SET
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
      "images" = d."images" + EXCLUDED."images",
      "imageTiles" = d."imageTiles" + EXCLUDED."imageTiles",
      "imageSteps" = d."imageSteps" + EXCLUDED."imageSteps",
      "audioSeconds" = d."audioSeconds" + EXCLUDED."audioSeconds",
      "characters" = d."characters" + EXCLUDED."characters";
  END IF;
  RETURN NULL;
END
$$;
