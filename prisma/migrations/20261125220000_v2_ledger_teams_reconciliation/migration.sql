-- CreateEnum
CREATE TYPE "ReconcileState" AS ENUM ('UNCHECKED', 'MATCHED', 'DRIFT', 'MISSING_UPSTREAM');

-- CreateEnum
CREATE TYPE "ReconcileRunStatus" AS ENUM ('RUNNING', 'OK', 'FAILED');

-- AlterEnum (the new values are not used in this migration's transaction)
ALTER TYPE "CallStatus" ADD VALUE 'PENDING';
ALTER TYPE "CallStatus" ADD VALUE 'INTERRUPTED';

-- AlterEnum
ALTER TYPE "MessageRole" ADD VALUE 'TOOL';

-- AlterEnum
ALTER TYPE "MessageStatus" ADD VALUE 'INTERRUPTED';

-- AlterTable
ALTER TABLE "ApiKey" ADD COLUMN     "allowedModels" TEXT[] NOT NULL DEFAULT ARRAY[]::TEXT[],
ADD COLUMN     "expiresAt" TIMESTAMPTZ(3),
ADD COLUMN     "monthlyBudgetUsd" DECIMAL(18,6),
ADD COLUMN     "requestsPerMinute" INTEGER,
ADD COLUMN     "rotatedAt" TIMESTAMPTZ(3),
ADD COLUMN     "tokensPerDay" INTEGER;

-- AlterTable
ALTER TABLE "Conversation" ADD COLUMN     "system" TEXT;

-- AlterTable
ALTER TABLE "Message" ADD COLUMN     "images" JSONB,
ADD COLUMN     "toolCallId" TEXT,
ADD COLUMN     "toolCalls" JSONB;

-- AlterTable
ALTER TABLE "UsageRecord" ADD COLUMN     "apiKeyId" UUID,
ADD COLUMN     "attempt" INTEGER NOT NULL DEFAULT 1,
ADD COLUMN     "callId" UUID,
ADD COLUMN     "finishReason" TEXT,
ADD COLUMN     "finishedAt" TIMESTAMPTZ(3),
ADD COLUMN     "ownerId" UUID,
ADD COLUMN     "reconciledAt" TIMESTAMPTZ(3),
ADD COLUMN     "reconciliation" "ReconcileState" NOT NULL DEFAULT 'UNCHECKED',
ADD COLUMN     "tags" JSONB,
ADD COLUMN     "teamId" UUID,
ADD COLUMN     "upstreamCostUsd" DECIMAL(20,10),
ADD COLUMN     "upstreamStatusCode" INTEGER,
ADD COLUMN     "upstreamSuccess" BOOLEAN,
ADD COLUMN     "upstreamTokensIn" INTEGER,
ADD COLUMN     "upstreamTokensOut" INTEGER,
ADD COLUMN     "usageEstimated" BOOLEAN NOT NULL DEFAULT false;

-- Hand-written: rows from before v2 were single-attempt calls, so each is its own call.
UPDATE "UsageRecord" SET "callId" = "id" WHERE "callId" IS NULL;
ALTER TABLE "UsageRecord" ALTER COLUMN "callId" SET NOT NULL;

-- CreateTable
CREATE TABLE "Team" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "requestsPerMinute" INTEGER,
    "tokensPerDay" INTEGER,
    "monthlyBudgetUsd" DECIMAL(18,6),
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Team_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "TeamMember" (
    "userId" UUID NOT NULL,
    "teamId" UUID NOT NULL,
    "addedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "TeamMember_pkey" PRIMARY KEY ("userId")
);

-- CreateTable
CREATE TABLE "InstanceLease" (
    "id" UUID NOT NULL,
    "hostname" TEXT NOT NULL,
    "pid" INTEGER NOT NULL,
    "startedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "renewedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "InstanceLease_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ReconcileRun" (
    "id" UUID NOT NULL,
    "gatewayId" TEXT NOT NULL,
    "fromTime" TIMESTAMPTZ(3) NOT NULL,
    "toTime" TIMESTAMPTZ(3) NOT NULL,
    "status" "ReconcileRunStatus" NOT NULL DEFAULT 'RUNNING',
    "error" TEXT,
    "byUserId" UUID,
    "logsRead" INTEGER NOT NULL DEFAULT 0,
    "matched" INTEGER NOT NULL DEFAULT 0,
    "drift" INTEGER NOT NULL DEFAULT 0,
    "missingUpstream" INTEGER NOT NULL DEFAULT 0,
    "missingLocal" INTEGER NOT NULL DEFAULT 0,
    "driftUsd" DECIMAL(20,10),
    "startedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finishedAt" TIMESTAMPTZ(3),

    CONSTRAINT "ReconcileRun_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "MissingLocalLog" (
    "logId" TEXT NOT NULL,
    "gatewayId" TEXT NOT NULL,
    "eventId" TEXT,
    "loggedAt" TIMESTAMPTZ(3) NOT NULL,
    "provider" TEXT,
    "model" TEXT,
    "success" BOOLEAN,
    "statusCode" INTEGER,
    "tokensIn" INTEGER,
    "tokensOut" INTEGER,
    "costUsd" DECIMAL(20,10),
    "metadata" TEXT,
    "runId" UUID NOT NULL,
    "foundAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "MissingLocalLog_pkey" PRIMARY KEY ("logId")
);

-- CreateIndex
CREATE UNIQUE INDEX "Team_name_key" ON "Team"("name");

-- CreateIndex
CREATE INDEX "TeamMember_teamId_idx" ON "TeamMember"("teamId");

-- CreateIndex
CREATE INDEX "ReconcileRun_startedAt_idx" ON "ReconcileRun"("startedAt");

-- CreateIndex
CREATE INDEX "MissingLocalLog_gatewayId_loggedAt_idx" ON "MissingLocalLog"("gatewayId", "loggedAt");

-- CreateIndex
CREATE INDEX "UsageRecord_callId_idx" ON "UsageRecord"("callId");

-- CreateIndex
CREATE INDEX "UsageRecord_gatewayId_createdAt_idx" ON "UsageRecord"("gatewayId", "createdAt");

-- CreateIndex
CREATE INDEX "UsageRecord_apiKeyId_createdAt_idx" ON "UsageRecord"("apiKeyId", "createdAt");

-- CreateIndex
CREATE INDEX "UsageRecord_teamId_createdAt_idx" ON "UsageRecord"("teamId", "createdAt");

-- AddForeignKey
ALTER TABLE "TeamMember" ADD CONSTRAINT "TeamMember_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TeamMember" ADD CONSTRAINT "TeamMember_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "Team"("id") ON DELETE CASCADE ON UPDATE CASCADE;

