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
-- The roll-up's group key, its trigger function and the rebuild: 20261207090000_usage_daily_every_dimension.

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
