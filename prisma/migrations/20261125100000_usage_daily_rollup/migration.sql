-- CreateTable
CREATE TABLE "UsageDaily" (
    "day" DATE NOT NULL,
    "userId" UUID NOT NULL,
    "model" TEXT NOT NULL,
    "gatewayId" TEXT NOT NULL,
    "api" "UpstreamApi" NOT NULL,
    "status" "CallStatus" NOT NULL,
    "requests" BIGINT NOT NULL DEFAULT 0,
    "inputTokens" BIGINT NOT NULL DEFAULT 0,
    "outputTokens" BIGINT NOT NULL DEFAULT 0,
    "cachedInputTokens" BIGINT NOT NULL DEFAULT 0,
    "cacheWriteTokens" BIGINT NOT NULL DEFAULT 0,
    "reasoningTokens" BIGINT NOT NULL DEFAULT 0,
    "totalTokens" BIGINT NOT NULL DEFAULT 0,
    "costUsd" DECIMAL(30,10) NOT NULL DEFAULT 0,
    "pricedRequests" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "UsageDaily_pkey" PRIMARY KEY ("day","userId","model","gatewayId","api","status")
);

-- CreateIndex
CREATE INDEX "UsageDaily_userId_day_idx" ON "UsageDaily"("userId", "day");

-- CreateIndex
CREATE INDEX "UsageRecord_requestedModel_createdAt_idx" ON "UsageRecord"("requestedModel", "createdAt");

-- Hand-written below the generated part: the triggers that keep "UsageDaily" equal to the
-- ledger's per-day sums. Statement-level with transition tables, so a group-committed batch of
-- N ledger rows costs one aggregate upsert, not N. Upserts go in key order (no deadlocks
-- between concurrent batches). UPDATE (re-pricing) subtracts the old rows and adds the new.
CREATE FUNCTION "usage_daily_apply"() RETURNS trigger LANGUAGE plpgsql AS $$
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
      "pricedRequests" = d."pricedRequests" - o."pricedRequests"
    FROM (
      SELECT ("createdAt" AT TIME ZONE 'UTC')::date AS "day", "userId", "requestedModel" AS "model", "gatewayId", "api", "status",
             count(*) AS "requests", sum("inputTokens") AS "inputTokens", sum("outputTokens") AS "outputTokens",
             sum("cachedInputTokens") AS "cachedInputTokens", sum("cacheWriteTokens") AS "cacheWriteTokens",
             sum("reasoningTokens") AS "reasoningTokens", sum("totalTokens") AS "totalTokens",
             coalesce(sum("costUsd"), 0) AS "costUsd", count("costUsd") AS "pricedRequests"
      FROM old_rows GROUP BY 1, 2, 3, 4, 5, 6
    ) AS o
    WHERE d."day" = o."day" AND d."userId" = o."userId" AND d."model" = o."model"
      AND d."gatewayId" = o."gatewayId" AND d."api" = o."api" AND d."status" = o."status";
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    INSERT INTO "UsageDaily" AS d ("day", "userId", "model", "gatewayId", "api", "status", "requests", "inputTokens",
      "outputTokens", "cachedInputTokens", "cacheWriteTokens", "reasoningTokens", "totalTokens", "costUsd", "pricedRequests")
    SELECT ("createdAt" AT TIME ZONE 'UTC')::date, "userId", "requestedModel", "gatewayId", "api", "status",
           count(*), sum("inputTokens"), sum("outputTokens"), sum("cachedInputTokens"), sum("cacheWriteTokens"),
           sum("reasoningTokens"), sum("totalTokens"), coalesce(sum("costUsd"), 0), count("costUsd")
    FROM new_rows GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6
    ON CONFLICT ("day", "userId", "model", "gatewayId", "api", "status") DO UPDATE SET
      "requests" = d."requests" + EXCLUDED."requests",
      "inputTokens" = d."inputTokens" + EXCLUDED."inputTokens",
      "outputTokens" = d."outputTokens" + EXCLUDED."outputTokens",
      "cachedInputTokens" = d."cachedInputTokens" + EXCLUDED."cachedInputTokens",
      "cacheWriteTokens" = d."cacheWriteTokens" + EXCLUDED."cacheWriteTokens",
      "reasoningTokens" = d."reasoningTokens" + EXCLUDED."reasoningTokens",
      "totalTokens" = d."totalTokens" + EXCLUDED."totalTokens",
      "costUsd" = d."costUsd" + EXCLUDED."costUsd",
      "pricedRequests" = d."pricedRequests" + EXCLUDED."pricedRequests";
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER "UsageRecord_daily_insert" AFTER INSERT ON "UsageRecord"
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "usage_daily_apply"();
CREATE TRIGGER "UsageRecord_daily_update" AFTER UPDATE ON "UsageRecord"
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "usage_daily_apply"();
CREATE TRIGGER "UsageRecord_daily_delete" AFTER DELETE ON "UsageRecord"
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION "usage_daily_apply"();

-- Backfill from rows written before this migration.
INSERT INTO "UsageDaily" ("day", "userId", "model", "gatewayId", "api", "status", "requests", "inputTokens",
  "outputTokens", "cachedInputTokens", "cacheWriteTokens", "reasoningTokens", "totalTokens", "costUsd", "pricedRequests")
SELECT ("createdAt" AT TIME ZONE 'UTC')::date, "userId", "requestedModel", "gatewayId", "api", "status",
       count(*), sum("inputTokens"), sum("outputTokens"), sum("cachedInputTokens"), sum("cacheWriteTokens"),
       sum("reasoningTokens"), sum("totalTokens"), coalesce(sum("costUsd"), 0), count("costUsd")
FROM "UsageRecord" GROUP BY 1, 2, 3, 4, 5, 6;
