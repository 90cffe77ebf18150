// A team's limits for the hot path, cached briefly (settings-cache.ts).
import type { PrismaClient } from '../../db/index.ts';
import { limitValuesOf, NO_LIMITS, type LimitValues } from '../limits/limit-values.ts';
import { createSettingsCache, type SettingsCache } from '../settings-cache.ts';

export type TeamSettingsCache = SettingsCache<LimitValues>;

export function createTeamSettings({ prisma, ttlMs }: { prisma: PrismaClient; ttlMs: number }): TeamSettingsCache {
  return createSettingsCache(async (id) => {
    const row = await prisma.team.findUnique({ where: { id }, select: { requestsPerMinute: true, tokensPerDay: true, monthlyBudgetUsd: true } });
    return row ? limitValuesOf(row) : NO_LIMITS;
  }, ttlMs);
}
