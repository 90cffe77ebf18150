-- CreateTable
CREATE TABLE "ReconcileStagedLog" (
    "runId" UUID NOT NULL,
    "logId" TEXT NOT NULL,
    "eventId" TEXT,
    "eventUuid" UUID,
    "loggedAt" TIMESTAMPTZ(3) NOT NULL,
    "provider" TEXT,
    "model" TEXT,
    "success" BOOLEAN,
    "statusCode" INTEGER,
    "tokensIn" INTEGER,
    "tokensOut" INTEGER,
    "costUsd" DECIMAL(20,10),
    "metadata" TEXT,
    "rowId" UUID,

    CONSTRAINT "ReconcileStagedLog_pkey" PRIMARY KEY ("runId","logId")
);

-- CreateIndex
CREATE INDEX "ReconcileStagedLog_runId_rowId_idx" ON "ReconcileStagedLog"("runId", "rowId");

-- CreateIndex
CREATE INDEX "UsageRecord_upstreamLogId_idx" ON "UsageRecord"("upstreamLogId");

-- Hand-written: one RUNNING reconciliation per gateway at a time, across every instance
-- (the lock that keeps two instances from reconciling the same range at once).
CREATE UNIQUE INDEX "ReconcileRun_one_running_per_gateway" ON "ReconcileRun"("gatewayId") WHERE "status" = 'RUNNING';
