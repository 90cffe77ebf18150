// setApiKeyLimits: change a key's own limits and model allow-list (its owner or an admin; what an
// admin set, only an admin loosens: key-restrictions.ts). The
// key's cached settings on this instance are evicted at once; others see it within
// AUTH_CACHE_TTL_MS.
import { z } from 'zod';
import { safeString } from '../safe-text.ts';
import type { PrismaClient } from '../../db/index.ts';
import { notFound } from '../../platform/errors.ts';
import { limitColumns, limitValuesInput, limitValuesOf } from '../limits/limit-values.ts';
import { restrictionsAfterChange } from './key-restrictions.ts';
import { isUuid } from '../validation.ts';
import { toApiKeyView, type ApiKeyView } from './access-service.ts';
import type { KeySettingsCache } from './key-settings.ts';
import { isAdmin, type Principal } from './principal.ts';
import { modelId } from './schemas.ts';
import { recordAudit } from '../audit/audit-trail.ts';

/** Absent field: unchanged; null: no limit; allowedModels [] = any model. */
export const setApiKeyLimitsInput = limitValuesInput.extend({
  id: safeString().pipe(z.string().trim().min(1).max(200)),
  allowedModels: z.array(modelId).max(100).nullish(),
});
export type SetApiKeyLimitsInput = z.infer<typeof setApiKeyLimitsInput>;

export function createApiKeyLimits({ prisma, keySettings }: { prisma: PrismaClient; keySettings: KeySettingsCache }) {
  async function setApiKeyLimits(principal: Principal, input: SetApiKeyLimitsInput): Promise<ApiKeyView> {
    const current = isUuid(input.id)
      ? await prisma.apiKey.findUnique({
          where: { id: input.id },
          select: { userId: true, requestsPerMinute: true, tokensPerDay: true, monthlyBudgetUsd: true, allowedModels: true, adminRestricted: true },
        })
      : null;
    // Another user's key is indistinguishable from a missing one.
    if (!current || (current.userId !== principal.userId && !isAdmin(principal))) throw notFound('API key');
    // What an admin set only an admin loosens (key-restrictions.ts).
    const adminRestricted = restrictionsAfterChange(principal, { limits: limitValuesOf(current), allowedModels: current.allowedModels, adminRestricted: current.adminRestricted }, {
      ...input,
      allowedModels: input.allowedModels ?? undefined, // null: unchanged
    });
    const changes = { ...limitColumns(input), ...(input.allowedModels != null && { allowedModels: input.allowedModels }) };
    const row = await prisma.$transaction(async (tx) => {
      const updated = await tx.apiKey.update({ where: { id: input.id }, data: { ...changes, adminRestricted } });
      await recordAudit(tx, principal, { action: 'key.limits', targetType: 'API_KEY', targetId: input.id, details: { userId: current.userId, ...changes } });
      return updated;
    });
    keySettings.evict(input.id);
    return toApiKeyView(row);
  }
  return { setApiKeyLimits };
}

export type ApiKeyLimits = ReturnType<typeof createApiKeyLimits>;
