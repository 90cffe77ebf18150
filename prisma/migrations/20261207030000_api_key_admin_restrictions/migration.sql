-- The restrictions of a key that an admin set (requestsPerMinute, tokensPerDay, monthlyBudgetUsd,
-- allowedModels, expiresAt): only an admin may loosen or remove them, and a key with any of them
-- cannot create, rotate or revoke keys.
ALTER TABLE "ApiKey" ADD COLUMN "adminRestricted" TEXT[] NOT NULL DEFAULT ARRAY[]::TEXT[];
