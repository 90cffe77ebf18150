-- CreateIndex
CREATE INDEX "Conversation_updatedAt_idx" ON "Conversation"("updatedAt");

-- CreateIndex
CREATE INDEX "UsageRecord_conversationId_idx" ON "UsageRecord"("conversationId");

