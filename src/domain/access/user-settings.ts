// Per-user settings the hot path needs (chosen gateway, limits), cached in memory briefly so a
// call costs no extra database round trip. Changes made on this instance evict at once.
import type { PrismaClient } from '../../db/index.ts';
import { notFound } from '../../platform/errors.ts';

export interface UserSettings {
  defaultGatewayId: string | null;
  requestsPerMinute: number | null;
  tokensPerDay: number | null;
  monthlyBudgetUsd: string | null;
}

export function createUserSettings({ prisma, ttlMs }: { prisma: PrismaClient; ttlMs: number }) {
  const cache = new Map<string, { settings: UserSettings; expiresAt: number }>();

  async function get(userId: string): Promise<UserSettings> {
    const now = Date.now();
    const hit = cache.get(userId);
    if (hit && hit.expiresAt > now) return hit.settings;
    const row = await prisma.user.findUnique({
      where: { id: userId },
      select: { defaultGatewayId: true, requestsPerMinute: true, tokensPerDay: true, monthlyBudgetUsd: true },
    });
    if (!row) throw notFound('User');
    const settings: UserSettings = { ...row, monthlyBudgetUsd: row.monthlyBudgetUsd?.toString() ?? null };
    if (ttlMs > 0) cache.set(userId, { settings, expiresAt: now + ttlMs });
    return settings;
  }

  return { get, evict: (userId: string) => void cache.delete(userId) };
}

export type UserSettingsCache = ReturnType<typeof createUserSettings>;
