-- Operators' controls: the append-only audit log, budget alerts and their events (the webhook
-- outbox), and the content-erasure marks of retention and purgeUserData.

CREATE TABLE "AuditEvent" (
  "id" UUID NOT NULL,
  "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  "actorUserId" UUID,
  "actorApiKeyId" UUID,
  "action" TEXT NOT NULL,
  "targetType" TEXT NOT NULL,
  "targetId" TEXT,
  "details" JSONB,
  "requestId" TEXT,
  CONSTRAINT "AuditEvent_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "AuditEvent_at_id_idx" ON "AuditEvent"("at", "id");
CREATE INDEX "AuditEvent_actorUserId_at_idx" ON "AuditEvent"("actorUserId", "at");
CREATE INDEX "AuditEvent_action_at_idx" ON "AuditEvent"("action", "at");

-- Append-only: no statement of any role may change or remove an event.
CREATE FUNCTION "audit_event_append_only"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'AuditEvent is append-only: % refused', TG_OP USING ERRCODE = '42501';
END
$$;
CREATE TRIGGER "AuditEvent_no_update_delete" BEFORE UPDATE OR DELETE ON "AuditEvent"
  FOR EACH ROW EXECUTE FUNCTION "audit_event_append_only"();
CREATE TRIGGER "AuditEvent_no_truncate" BEFORE TRUNCATE ON "AuditEvent"
  FOR EACH STATEMENT EXECUTE FUNCTION "audit_event_append_only"();

CREATE TYPE "BudgetScope" AS ENUM ('USER', 'TEAM', 'API_KEY');

CREATE TABLE "BudgetAlert" (
  "id" UUID NOT NULL,
  "scope" "BudgetScope" NOT NULL,
  "subjectId" UUID NOT NULL,
  "thresholdPercent" DOUBLE PRECISION NOT NULL,
  "webhookUrl" TEXT,
  "createdBy" UUID NOT NULL,
  "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  "deletedAt" TIMESTAMPTZ(3),
  CONSTRAINT "BudgetAlert_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "BudgetAlert_scope_subjectId_idx" ON "BudgetAlert"("scope", "subjectId");

CREATE TABLE "BudgetEvent" (
  "id" UUID NOT NULL,
  "seq" BIGSERIAL NOT NULL,
  "alertId" UUID NOT NULL,
  "scope" "BudgetScope" NOT NULL,
  "subjectId" UUID NOT NULL,
  "ownerUserId" UUID,
  "limitKind" TEXT NOT NULL,
  "thresholdPercent" DOUBLE PRECISION NOT NULL,
  "usedPercent" DOUBLE PRECISION NOT NULL,
  "limit" TEXT NOT NULL,
  "used" TEXT NOT NULL,
  "periodStart" TIMESTAMPTZ(3) NOT NULL,
  "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  "webhookUrl" TEXT,
  "deliveryState" TEXT NOT NULL,
  "attempts" INTEGER NOT NULL DEFAULT 0,
  "nextAttemptAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  "claimedUntil" TIMESTAMPTZ(3),
  "deliveredAt" TIMESTAMPTZ(3),
  "lastError" TEXT,
  CONSTRAINT "BudgetEvent_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "BudgetEvent_alertId_limitKind_periodStart_key" ON "BudgetEvent"("alertId", "limitKind", "periodStart");
CREATE INDEX "BudgetEvent_seq_idx" ON "BudgetEvent"("seq");
CREATE INDEX "BudgetEvent_deliveryState_nextAttemptAt_idx" ON "BudgetEvent"("deliveryState", "nextAttemptAt");

ALTER TABLE "Message" ADD COLUMN "contentPurgedAt" TIMESTAMPTZ(3);
ALTER TABLE "Conversation" ADD COLUMN "contentPurgedAt" TIMESTAMPTZ(3);
ALTER TABLE "UsageRecord" ADD COLUMN "contentPurgedAt" TIMESTAMPTZ(3);
-- Retention finds what is older than its limit and not yet erased.
CREATE INDEX "Message_createdAt_idx" ON "Message"("createdAt") WHERE "contentPurgedAt" IS NULL;
CREATE INDEX "UsageRecord_contentPurge_idx" ON "UsageRecord"("createdAt") WHERE "contentPurgedAt" IS NULL;
