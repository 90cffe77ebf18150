// Admin: a user's limits (requests per minute, tokens per day, monthly budget). Stored on the
// user row; the limits engine reads them through UserSettings. Absent field = unchanged,
// null = no limit. The settings cache on this instance is evicted at once (others within its TTL).
import { z } from 'zod';
import type { PrismaClient } from '../../db/index.ts';
import { notFound } from '../../platform/errors.ts';
import { type Principal, requireAdmin } from '../access/principal.ts';
import type { UserSettingsCache } from '../access/user-settings.ts';
import { toUserView, type UserView } from '../access/user-view.ts';
import { decimalString } from '../reports/schemas.ts';
import { recordAudit } from '../audit/audit-trail.ts';

const limit = z.number().int('must be a whole number').positive('must be positive; null means no limit').max(2_147_483_647).nullish();

export const setUserLimitsInput = z.object({
  userId: z.uuid({ message: 'must be a user id' }),
  requestsPerMinute: limit,
  tokensPerDay: limit,
  /** USD, decimal string; null = no budget. */
  monthlyBudgetUsd: decimalString.nullish(),
});
export type SetUserLimitsInput = z.infer<typeof setUserLimitsInput>;

export function createUserLimitsAdmin({ prisma, userSettings }: { prisma: PrismaClient; userSettings: UserSettingsCache }) {
  async function setUserLimits(principal: Principal, input: SetUserLimitsInput): Promise<UserView> {
    requireAdmin(principal);
    const exists = await prisma.user.findUnique({ where: { id: input.userId }, select: { id: true } });
    if (!exists) throw notFound('User');
    const changes = {
      ...(input.requestsPerMinute !== undefined && { requestsPerMinute: input.requestsPerMinute }),
      ...(input.tokensPerDay !== undefined && { tokensPerDay: input.tokensPerDay }),
      ...(input.monthlyBudgetUsd !== undefined && { monthlyBudgetUsd: input.monthlyBudgetUsd }),
    };
    const user = await prisma.$transaction(async (tx) => {
      const updated = await tx.user.update({ where: { id: input.userId }, data: changes });
      await recordAudit(tx, principal, { action: 'user.limits', targetType: 'USER', targetId: input.userId, details: changes });
      return updated;
    });
    userSettings.evict(input.userId);
    return toUserView(user);
  }
  return { setUserLimits };
}

export type UserLimitsAdmin = ReturnType<typeof createUserLimitsAdmin>;
