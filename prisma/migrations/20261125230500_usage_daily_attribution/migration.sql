-- teams (issue 14): the daily roll-up gains the attribution dimensions (API key, team, tags), so
-- reports by API_KEY, TEAM and TAG and their filters read whole days from it too. A roll-up
-- group is now (day, user, model, gateway, api, status, apiKeyId, teamId, tags); the tag set is
-- matched through its md5 (tags may be larger than a btree entry), nulls equal to nulls. Keeps
-- 20261125230100's estimatedRequests (and its partial index, untouched here).
ALTER TABLE "UsageDaily" DROP CONSTRAINT "UsageDaily_pkey";
ALTER TABLE "UsageDaily" ADD COLUMN "apiKeyId" UUID,
ADD COLUMN "teamId" UUID,
ADD COLUMN "tags" JSONB,
ADD COLUMN "tagsHash" TEXT GENERATED ALWAYS AS (md5(coalesce("tags"::text, ''))) STORED,
ADD COLUMN "id" BIGSERIAL NOT NULL;
ALTER TABLE "UsageDaily" ADD CONSTRAINT "UsageDaily_pkey" PRIMARY KEY ("id");

-- CreateIndex
CREATE UNIQUE INDEX "UsageDaily_group_key" ON "UsageDaily"("day", "userId", "model", "gatewayId", "api", "status", "apiKeyId", "teamId", "tagsHash") NULLS NOT DISTINCT;
CREATE INDEX "UsageDaily_teamId_day_idx" ON "UsageDaily"("teamId", "day");
CREATE INDEX "UsageDaily_apiKeyId_day_idx" ON "UsageDaily"("apiKeyId", "day");

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
      "estimatedRequests" = d."estimatedRequests" - o."estimatedRequests"
    FROM (
      SELECT ("createdAt" AT TIME ZONE 'UTC')::date AS "day", "userId", "requestedModel" AS "model", "gatewayId", "api", "status",
             "apiKeyId", "teamId", md5(coalesce("tags"::text, '')) AS "tagsHash",
             count(*) AS "requests", sum("inputTokens") AS "inputTokens", sum("outputTokens") AS "outputTokens",
             sum("cachedInputTokens") AS "cachedInputTokens", sum("cacheWriteTokens") AS "cacheWriteTokens",
             sum("reasoningTokens") AS "reasoningTokens", sum("totalTokens") AS "totalTokens",
             coalesce(sum("costUsd"), 0) AS "costUsd", count("costUsd") AS "pricedRequests",
             count(*) FILTER (WHERE "usageEstimated") AS "estimatedRequests"
      FROM old_rows GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9
    ) AS o
    WHERE d."day" = o."day" AND d."userId" = o."userId" AND d."model" = o."model"
      AND d."gatewayId" = o."gatewayId" AND d."api" = o."api" AND d."status" = o."status"
      AND d."apiKeyId" IS NOT DISTINCT FROM o."apiKeyId" AND d."teamId" IS NOT DISTINCT FROM o."teamId"
      AND d."tagsHash" = o."tagsHash";
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    INSERT INTO "UsageDaily" AS d ("day", "userId", "model", "gatewayId", "api", "status", "apiKeyId", "teamId", "tags", "requests",
      "inputTokens", "outputTokens", "cachedInputTokens", "cacheWriteTokens", "reasoningTokens", "totalTokens", "costUsd", "pricedRequests", "estimatedRequests")
    SELECT ("createdAt" AT TIME ZONE 'UTC')::date, "userId", "requestedModel", "gatewayId", "api", "status", "apiKeyId", "teamId", "tags",
           count(*), sum("inputTokens"), sum("outputTokens"), sum("cachedInputTokens"), sum("cacheWriteTokens"),
           sum("reasoningTokens"), sum("totalTokens"), coalesce(sum("costUsd"), 0), count("costUsd"),
           count(*) FILTER (WHERE "usageEstimated")
    FROM new_rows GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9 ORDER BY 1, 2, 3, 4, 5, 6, 7, 8, md5(coalesce("tags"::text, ''))
    ON CONFLICT ("day", "userId", "model", "gatewayId", "api", "status", "apiKeyId", "teamId", "tagsHash") DO UPDATE SET
      "requests" = d."requests" + EXCLUDED."requests",
      "inputTokens" = d."inputTokens" + EXCLUDED."inputTokens",
      "outputTokens" = d."outputTokens" + EXCLUDED."outputTokens",
      "cachedInputTokens" = d."cachedInputTokens" + EXCLUDED."cachedInputTokens",
      "cacheWriteTokens" = d."cacheWriteTokens" + EXCLUDED."cacheWriteTokens",
      "reasoningTokens" = d."reasoningTokens" + EXCLUDED."reasoningTokens",
      "totalTokens" = d."totalTokens" + EXCLUDED."totalTokens",
      "costUsd" = d."costUsd" + EXCLUDED."costUsd",
      "pricedRequests" = d."pricedRequests" + EXCLUDED."pricedRequests",
      "estimatedRequests" = d."estimatedRequests" + EXCLUDED."estimatedRequests";
  END IF;
  RETURN NULL;
END
$$;

-- Rebuild the roll-up at the new grain from the ledger.
TRUNCATE "UsageDaily";
INSERT INTO "UsageDaily" ("day", "userId", "model", "gatewayId", "api", "status", "apiKeyId", "teamId", "tags", "requests", "inputTokens",
  "outputTokens", "cachedInputTokens", "cacheWriteTokens", "reasoningTokens", "totalTokens", "costUsd", "pricedRequests", "estimatedRequests")
SELECT ("createdAt" AT TIME ZONE 'UTC')::date, "userId", "requestedModel", "gatewayId", "api", "status", "apiKeyId", "teamId", "tags",
       count(*), sum("inputTokens"), sum("outputTokens"), sum("cachedInputTokens"), sum("cacheWriteTokens"),
       sum("reasoningTokens"), sum("totalTokens"), coalesce(sum("costUsd"), 0), count("costUsd"),
       count(*) FILTER (WHERE "usageEstimated")
FROM "UsageRecord" GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9;
