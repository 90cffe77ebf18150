// me.remaining / User.remaining and the balance headers: the caller's own balance (its key, user
// and team), or, for an admin, any user's (user and team levels).
import { requireAdmin, type Principal } from '../access/principal.ts';
import type { Logger } from '../../logger.ts';
import type { CallerLevels } from './limit-subjects.ts';
import type { RemainingOf, Remaining } from './remaining.ts';

export interface BalanceDeps {
  remaining: RemainingOf;
  teamIdOf: (userId: string) => Promise<string | null>;
  logger: Logger;
}

/** null: the limit store does not answer (the balance is informational: it never fails a request). */
export function createBalanceService({ remaining, teamIdOf, logger }: BalanceDeps) {
  const orNull = (caller: CallerLevels): Promise<Remaining | null> =>
    remaining(caller).catch((error: unknown) => {
      logger.warn('balance unavailable (limit store)', { cause: error instanceof Error ? error : new Error(String(error)) });
      return null;
    });
  return {
    /** The caller's balance at the tightest of its key, user and team. */
    remaining: (principal: Principal): Promise<Remaining | null> => orNull(principal),
    /** A user's balance: the caller's own (with its key), or any user's for an admin. */
    async remainingOfUser(principal: Principal, userId: string): Promise<Remaining | null> {
      if (userId === principal.userId) return orNull(principal);
      requireAdmin(principal);
      return orNull({ userId, teamId: await teamIdOf(userId) });
    },
  };
}

export type BalanceService = ReturnType<typeof createBalanceService>;
