-- The API surface that carried each call: the typed APIs (GRAPHQL, TRPC) and the SDK drop-in wire
-- formats (OPENAI: /v1/chat/completions, /v1/responses; ANTHROPIC: /v1/messages). Stored on every
-- ledger row and kept in the "UsageDaily" roll-up's group key, so usageReport groups by SURFACE.
CREATE TYPE "Surface" AS ENUM ('GRAPHQL', 'TRPC', 'OPENAI', 'ANTHROPIC');

-- Rows written before this migration came by GraphQL or tRPC: their transport tells which.
ALTER TABLE "UsageRecord" ADD COLUMN "surface" "Surface" NOT NULL DEFAULT 'GRAPHQL';
UPDATE "UsageRecord" SET "surface" = 'TRPC' WHERE "transport" LIKE 'trpc%';

ALTER TABLE "UsageDaily" ADD COLUMN "surface" "Surface" NOT NULL DEFAULT 'GRAPHQL';

-- The roll-up's group key, its trigger function and the rebuild: 20261207090000_usage_daily_every_dimension.
