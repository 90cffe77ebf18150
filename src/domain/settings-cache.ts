// A small read-through cache of per-id settings (an API key's limits, a team's limits) for the
// hot path: no database round trip per call. Changes made on this instance evict at once; other
// instances see them within the TTL (AUTH_CACHE_TTL_MS).
export interface SettingsCache<T> {
  get(id: string): Promise<T>;
  evict(id: string): void;
}

export function createSettingsCache<T>(load: (id: string) => Promise<T>, ttlMs: number): SettingsCache<T> {
  const cache = new Map<string, { value: T; expiresAt: number }>();
  return {
    async get(id: string): Promise<T> {
      const now = Date.now();
      const hit = cache.get(id);
      if (hit && hit.expiresAt > now) return hit.value;
      const value = await load(id);
      if (ttlMs > 0) {
        if (cache.size >= 10_000) cache.delete(cache.keys().next().value as string);
        cache.set(id, { value, expiresAt: now + ttlMs });
      }
      return value;
    },
    evict: (id: string) => void cache.delete(id),
  };
}
