-- Cloudflare as it is today: the model that served a call (dynamic routes, the Auto Router),
-- cache hits, neurons, and OpenTelemetry spans as a reconciliation source.
--
-- "servedModel" is the model named by the cf-aig-model / cf-aig-routed-model response headers,
-- else the requested one (never the name inside the reply body). Rows written before this kept
-- the body's name there; with no routing headers then, their served model is the requested one.
UPDATE "UsageRecord" SET "servedModel" = "requestedModel" WHERE "servedModel" IS DISTINCT FROM "requestedModel";

-- A cache hit (cf-aig-cache-status: HIT) costs 0; cacheSavedUsd is what it would have cost.
ALTER TABLE "UsageRecord" ADD COLUMN "cacheHit" BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE "UsageRecord" ADD COLUMN "cacheSavedUsd" DECIMAL(20, 10);
-- Workers AI's billed quantity (cf-ai-neurons), as sent.
ALTER TABLE "UsageRecord" ADD COLUMN "neurons" DECIMAL(20, 6);
UPDATE "UsageRecord" SET "cacheHit" = true WHERE upper("cacheStatus") = 'HIT';
CREATE INDEX "UsageRecord_servedModel_createdAt_idx" ON "UsageRecord"("servedModel", "createdAt");

-- A price per 1,000 neurons (Workers AI bills neurons): when set, cost = neurons x this / 1000.
ALTER TABLE "ModelPrice" ADD COLUMN "perThousandNeurons" DECIMAL(20, 10);

-- The roll-up: "model" is now the served model; the requested model is part of the group key;
-- cache hits and their savings are summed.
ALTER TABLE "UsageDaily" ADD COLUMN "requestedModel" TEXT NOT NULL DEFAULT '';
ALTER TABLE "UsageDaily" ADD COLUMN "cacheHits" BIGINT NOT NULL DEFAULT 0;
ALTER TABLE "UsageDaily" ADD COLUMN "cacheSavedUsd" DECIMAL(30, 10) NOT NULL DEFAULT 0;
DROP INDEX "UsageDaily_group_key";
CREATE UNIQUE INDEX "UsageDaily_group_key" ON "UsageDaily"("day", "userId", "model", "gatewayId", "api", "status", "apiKeyId", "teamId", "tagsHash", "reconciliation", "requestedModel") NULLS NOT DISTINCT;

-- The trigger function of 20261126050000 with the served model, the requested model and the cache sums.
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
      "cacheHits" = d."cacheHits" - o."cacheHits",
      "cacheSavedUsd" = d."cacheSavedUsd" - o."cacheSavedUsd"
    FROM (
      SELECT ("createdAt" AT TIME ZONE 'UTC')::date AS "day", "userId", coalesce("servedModel", "requestedModel") AS "model", "gatewayId", "api", "status",
             "apiKeyId", "teamId", md5(coalesce("tags"::text, '')) AS "tagsHash", "reconciliation", "requestedModel",
             count(*) AS "requests", sum("inputTokens") AS "inputTokens", sum("outputTokens") AS "outputTokens",
             sum("cachedInputTokens") AS "cachedInputTokens", sum("cacheWriteTokens") AS "cacheWriteTokens",
             sum("reasoningTokens") AS "reasoningTokens", sum("totalTokens") AS "totalTokens",
             coalesce(sum("costUsd"), 0) AS "costUsd", count("costUsd") AS "pricedRequests",
             count(*) FILTER (WHERE "usageEstimated") AS "estimatedRequests",
             coalesce(sum("upstreamCostUsd"), 0) AS "upstreamCostUsd", count("upstreamCostUsd") AS "upstreamPricedRequests",
             coalesce(sum("upstreamCostUsd" - "costUsd"), 0) AS "driftUsd",
             count(*) FILTER (WHERE "cacheHit") AS "cacheHits", coalesce(sum("cacheSavedUsd"), 0) AS "cacheSavedUsd"
      FROM old_rows WHERE "status" <> 'PENDING' GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11
    ) AS o
    WHERE d."day" = o."day" AND d."userId" = o."userId" AND d."model" = o."model"
      AND d."gatewayId" = o."gatewayId" AND d."api" = o."api" AND d."status" = o."status"
      AND d."apiKeyId" IS NOT DISTINCT FROM o."apiKeyId" AND d."teamId" IS NOT DISTINCT FROM o."teamId"
      AND d."tagsHash" = o."tagsHash" AND d."reconciliation" = o."reconciliation" AND d."requestedModel" = o."requestedModel";
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    INSERT INTO "UsageDaily" AS d ("day", "userId", "model", "gatewayId", "api", "status", "apiKeyId", "teamId", "tags", "reconciliation", "requests",
      "inputTokens", "outputTokens", "cachedInputTokens", "cacheWriteTokens", "reasoningTokens", "totalTokens", "costUsd", "pricedRequests", "estimatedRequests",
      "upstreamCostUsd", "upstreamPricedRequests", "driftUsd", "requestedModel", "cacheHits", "cacheSavedUsd")
    SELECT ("createdAt" AT TIME ZONE 'UTC')::date, "userId", coalesce("servedModel", "requestedModel"), "gatewayId", "api", "status", "apiKeyId", "teamId", "tags", "reconciliation",
           count(*), sum("inputTokens"), sum("outputTokens"), sum("cachedInputTokens"), sum("cacheWriteTokens"),
           sum("reasoningTokens"), sum("totalTokens"), coalesce(sum("costUsd"), 0), count("costUsd"),
           count(*) FILTER (WHERE "usageEstimated"),
           coalesce(sum("upstreamCostUsd"), 0), count("upstreamCostUsd"), coalesce(sum("upstreamCostUsd" - "costUsd"), 0),
           "requestedModel", count(*) FILTER (WHERE "cacheHit"), coalesce(sum("cacheSavedUsd"), 0)
    FROM new_rows WHERE "status" <> 'PENDING' GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, "requestedModel" ORDER BY 1, 2, 3, 4, 5, 6, 7, 8, md5(coalesce("tags"::text, '')), 10, "requestedModel"
    ON CONFLICT ("day", "userId", "model", "gatewayId", "api", "status", "apiKeyId", "teamId", "tagsHash", "reconciliation", "requestedModel") DO UPDATE SET
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
      "cacheSavedUsd" = d."cacheSavedUsd" + EXCLUDED."cacheSavedUsd";
  END IF;
  RETURN NULL;
END
$$;

-- Rebuilt from the ledger under the new key (finished rows only, as the trigger keeps it).
DELETE FROM "UsageDaily";
INSERT INTO "UsageDaily" ("day", "userId", "model", "gatewayId", "api", "status", "apiKeyId", "teamId", "tags", "reconciliation", "requests",
  "inputTokens", "outputTokens", "cachedInputTokens", "cacheWriteTokens", "reasoningTokens", "totalTokens", "costUsd", "pricedRequests", "estimatedRequests",
  "upstreamCostUsd", "upstreamPricedRequests", "driftUsd", "requestedModel", "cacheHits", "cacheSavedUsd")
SELECT ("createdAt" AT TIME ZONE 'UTC')::date, "userId", coalesce("servedModel", "requestedModel"), "gatewayId", "api", "status", "apiKeyId", "teamId", "tags", "reconciliation",
       count(*), sum("inputTokens"), sum("outputTokens"), sum("cachedInputTokens"), sum("cacheWriteTokens"),
       sum("reasoningTokens"), sum("totalTokens"), coalesce(sum("costUsd"), 0), count("costUsd"),
       count(*) FILTER (WHERE "usageEstimated"),
       coalesce(sum("upstreamCostUsd"), 0), count("upstreamCostUsd"), coalesce(sum("upstreamCostUsd" - "costUsd"), 0),
       "requestedModel", count(*) FILTER (WHERE "cacheHit"), coalesce(sum("cacheSavedUsd"), 0)
FROM "UsageRecord" WHERE "status" <> 'PENDING'
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, "requestedModel";

-- OpenTelemetry spans pushed by the gateway's OTLP export (POST /otlp/v1/traces), one per trace
-- id (= the row id as 32 hex digits); a duplicate span changes nothing.
CREATE TABLE "OtlpSpan" (
  "traceId"    TEXT NOT NULL,
  "spanId"     TEXT NOT NULL,
  "rowId"      UUID,
  "loggedAt"   TIMESTAMPTZ(3) NOT NULL,
  "model"      TEXT,
  "provider"   TEXT,
  "success"    BOOLEAN,
  "statusCode" INTEGER,
  "tokensIn"   INTEGER,
  "tokensOut"  INTEGER,
  "costUsd"    DECIMAL(20, 10),
  "metadata"   TEXT,
  "receivedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
  CONSTRAINT "OtlpSpan_pkey" PRIMARY KEY ("traceId")
);
CREATE INDEX "OtlpSpan_loggedAt_idx" ON "OtlpSpan"("loggedAt");
CREATE INDEX "OtlpSpan_rowId_idx" ON "OtlpSpan"("rowId");
