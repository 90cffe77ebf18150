// A short-lived in-memory cache of authenticated keys, so authentication costs no database round
// trip per call. Revocation on this instance evicts at once; other instances see it within the TTL.
import type { Principal } from './principal.ts';

interface Entry {
  principal: Principal;
  expiresAt: number;
}

export class AuthCache {
  private readonly entries = new Map<string, Entry>();
  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 10_000,
  ) {}

  get(key: string, now = Date.now()): Principal | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= now) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.principal;
  }

  /** Caches for the TTL, never past `until` (a key's expiry). */
  set(key: string, principal: Principal, now = Date.now(), until = Infinity): void {
    if (this.ttlMs <= 0 || until <= now) return;
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(key, { principal, expiresAt: Math.min(now + this.ttlMs, until) });
  }

  clear(): void {
    this.entries.clear();
  }

  /** Drops every cached entry matching the predicate (a revoked key, a user whose role changed). */
  evict(predicate: (p: Principal) => boolean): void {
    for (const [key, entry] of this.entries) if (predicate(entry.principal)) this.entries.delete(key);
  }
}
