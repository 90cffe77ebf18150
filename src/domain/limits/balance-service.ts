// me.remaining / User.remaining and the balance headers: the caller's own balance (its key, user
// and team), or, for an admin, any user's (user and team levels).
import { requireAdmin, type Principal } from '../access/principal.ts';
import type { RemainingOf, Remaining } from './remaining.ts';

export function createBalanceService({ remaining, teamIdOf }: { remaining: RemainingOf; teamIdOf: (userId: string) => Promise<string | null> }) {
  return {
    /** The caller's balance at the tightest of its key, user and team. */
    remaining: (principal: Principal): Promise<Remaining> => remaining(principal),
    /** A user's balance: the caller's own (with its key), or any user's for an admin. */
    async remainingOfUser(principal: Principal, userId: string): Promise<Remaining> {
      if (userId === principal.userId) return remaining(principal);
      requireAdmin(principal);
      return remaining({ userId, teamId: await teamIdOf(userId) });
    },
  };
}

export type BalanceService = ReturnType<typeof createBalanceService>;
