// What the hot path needs of an API key beyond authentication: its own limits and its model
// allow-list, cached briefly (settings-cache.ts).
import type { PrismaClient } from '../../db/index.ts';
import { limitValuesOf, NO_LIMITS, type LimitValues } from '../limits/limit-values.ts';
import { createSettingsCache, type SettingsCache } from '../settings-cache.ts';

export interface KeySettings {
  limits: LimitValues;
  /** Model ids the key may call; empty: any. */
  allowedModels: string[];
}

export type KeySettingsCache = SettingsCache<KeySettings>;

export function createKeySettings({ prisma, ttlMs }: { prisma: PrismaClient; ttlMs: number }): KeySettingsCache {
  return createSettingsCache(async (id) => {
    const row = await prisma.apiKey.findUnique({
      where: { id },
      select: { requestsPerMinute: true, tokensPerDay: true, monthlyBudgetUsd: true, allowedModels: true },
    });
    return row ? { limits: limitValuesOf(row), allowedModels: row.allowedModels } : { limits: NO_LIMITS, allowedModels: [] };
  }, ttlMs);
}
