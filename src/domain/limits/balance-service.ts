// me.remaining / User.remaining and the balance headers: the caller's own balance (its key, user
// and team), or, for an admin, any user's (user and team levels).
import { requireAdmin, type Principal } from '../access/principal.ts';
import { AppError, unavailable } from '../../platform/errors.ts';
import type { Logger } from '../../platform/logger.ts';
import type { CallerLevels } from './limit-subjects.ts';
import type { RemainingOf, Remaining } from './remaining.ts';

export interface BalanceDeps {
  remaining: RemainingOf;
  teamIdOf: (userId: string) => Promise<string | null>;
  logger: Logger;
}

/**
 * A limit store that does not answer is UNAVAILABLE (retryable), never a null balance: a null
 * limit means unlimited, and a caller must not read an outage as "no limit".
 */
export function createBalanceService({ remaining, teamIdOf, logger }: BalanceDeps) {
  const read = (caller: CallerLevels): Promise<Remaining> =>
    remaining(caller).catch((error: unknown) => {
      if (error instanceof AppError) throw error;
      logger.warn('balance unavailable (limit store)', { cause: error instanceof Error ? error : new Error(String(error)) });
      throw unavailable('The balance cannot be read right now (the limit store does not answer); retry shortly', error);
    });
  return {
    /** The caller's balance at the tightest of its key, user and team. */
    remaining: (principal: Principal): Promise<Remaining> => read(principal),
    /** A user's balance: the caller's own (with its key), or any user's for an admin. */
    async remainingOfUser(principal: Principal, userId: string): Promise<Remaining> {
      if (userId === principal.userId) return read(principal);
      requireAdmin(principal);
      return read({ userId, teamId: await teamIdOf(userId) });
    },
  };
}

export type BalanceService = ReturnType<typeof createBalanceService>;
