-- A call without an API key or a team put an entry for its NULL in those indexes at its
-- write-ahead and another at its finish, and nothing reads them by NULL: their readers (limit
-- books, alerts, exports) look rows up by a key or a team ("apiKeyId" = $1 implies it is not
-- NULL, so the planner uses the partial index just the same).
DROP INDEX "UsageRecord_apiKeyId_createdAt_idx";
CREATE INDEX "UsageRecord_apiKeyId_createdAt_idx" ON "UsageRecord"("apiKeyId", "createdAt") WHERE "apiKeyId" IS NOT NULL;
DROP INDEX "UsageRecord_teamId_createdAt_idx";
CREATE INDEX "UsageRecord_teamId_createdAt_idx" ON "UsageRecord"("teamId", "createdAt") WHERE "teamId" IS NOT NULL;
