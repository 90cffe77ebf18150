// Admission by per-user limits: requests per minute, tokens per UTC day and spend per UTC
// calendar month. Each user's limit is the admin-set value (User columns) or else the
// environment's default. Reserve-then-settle: the worst case (estimated input + maxTokens, and
// its price) is booked before the upstream call; settle replaces it by the actual usage once
// the ledger row is committed (a failed call used nothing, so its reservation is released).
import { AppError } from '../../errors.ts';
import { uuidv7 } from '../../ids.ts';
import type { Logger } from '../../logger.ts';
import { emptyUsage } from '../../call-vocabulary.ts';
import type { UserSettings } from '../access/user-settings.ts';
import type { Admission, AdmissionRequest, Reservation } from '../generation/admission.ts';
import type { Pricing } from '../usage/pricing.ts';
import type { UsageRow } from '../usage/usage-row.ts';
import type { EffectiveLimits, LimitName, LimitStore } from './limit-store.ts';
import { usdToUnits } from './money.ts';

export interface LimitDefaults {
  requestsPerMinute?: number;
  tokensPerDay?: number;
  monthlyBudgetUsd?: string;
}

export interface LimitAdmissionDeps {
  userSettings: { get(userId: string): Promise<UserSettings> };
  defaults: LimitDefaults;
  store: LimitStore;
  pricing: Pricing;
  /** After this long a reservation lapses (its instance is presumed dead). */
  reservationTtlMs: number;
  /** A refusal, for /metrics: the limit's name, or 'unavailable' when the store did not answer. */
  onRefusal?: (limit: LimitName | 'unavailable') => void;
  logger: Logger;
}

/** How long a client should wait when the limit store is unreachable. */
export const UNAVAILABLE_RETRY_MS = 1_000;

const NOTHING_RESERVED: Reservation = { settle: async () => {}, release: async () => {} };

export function effectiveLimits(settings: UserSettings, defaults: LimitDefaults): EffectiveLimits {
  const budget = settings.monthlyBudgetUsd ?? defaults.monthlyBudgetUsd ?? null;
  return {
    requestsPerMinute: settings.requestsPerMinute ?? defaults.requestsPerMinute ?? null,
    tokensPerDay: settings.tokensPerDay ?? defaults.tokensPerDay ?? null,
    monthlyBudgetUnits: budget == null ? null : usdToUnits(budget),
  };
}

/** A cost as units; an unpriced model (null) costs 0 for budgets. */
const unitsOf = (costUsd: string | null): bigint => (costUsd == null ? 0n : usdToUnits(costUsd));

export function createLimitAdmission({ userSettings, defaults, store, pricing, reservationTtlMs, onRefusal, logger }: LimitAdmissionDeps): Admission {
  function refuse(limit: LimitName, retryAfterMs: number | undefined): AppError {
    onRefusal?.(limit);
    if (limit === 'requestsPerMinute') {
      return new AppError('RATE_LIMITED', 'Too many requests: the requests-per-minute limit is reached', { retryAfterMs: retryAfterMs ?? 1_000, limit });
    }
    const what = limit === 'tokensPerDay' ? 'tokens-per-day limit' : 'monthly spend budget';
    return new AppError('BUDGET_EXCEEDED', `The ${what} would be exceeded by this call (its worst case counts until it ends)`, {
      limit,
      ...(retryAfterMs !== undefined && { retryAfterMs }),
    });
  }

  return {
    async admit(request: AdmissionRequest): Promise<Reservation> {
      const { userId } = request.principal;
      const limits = effectiveLimits(await userSettings.get(userId), defaults);
      // No limit at all: nothing to count, no round trip to the store.
      if (limits.requestsPerMinute == null && limits.tokensPerDay == null && limits.monthlyBudgetUnits == null) return NOTHING_RESERVED;

      const inputTokens = request.estimatedInputTokens ?? 0;
      const tokens = inputTokens + request.maxTokens;
      const worst = pricing.costOf(request.model, { ...emptyUsage(), inputTokens, outputTokens: request.maxTokens, totalTokens: tokens }, new Date());
      const reservationId = uuidv7();
      let result;
      try {
        result = await store.reserve({ userId, reservationId, limits, tokens, costUnits: unitsOf(worst.costUsd), ttlMs: reservationTtlMs });
      } catch (error) {
        // Never let a call pass unlimited because the shared store is down: refuse, retryable.
        // A timed-out reserve may still have been booked: undo it, best effort (else it lapses).
        void store.cancel(userId, reservationId).catch(() => undefined);
        onRefusal?.('unavailable');
        logger.error('limit store unavailable: call refused', { cause: error instanceof Error ? error : new Error(String(error)) });
        throw new AppError(
          'RATE_LIMITED',
          'Rate limits and budgets cannot be checked right now (the shared limit store does not answer); retry later',
          { retryAfterMs: UNAVAILABLE_RETRY_MS, limit: 'unavailable' },
          { cause: error },
        );
      }
      if (!result.ok) throw refuse(result.limit, result.retryAfterMs);
      const { handle } = result;
      let settled = false;
      return {
        async release() {
          if (settled) return;
          settled = true;
          await store.cancel(handle.userId, handle.reservationId).catch((error: unknown) => {
            logger.error('limit store unavailable: could not release a reservation (it lapses)', { cause: error instanceof Error ? error : new Error(String(error)) });
          });
        },
        async settle(row: UsageRow) {
          if (settled) return;
          settled = true;
          // The call is over and recorded: a store failure here must not fail it. The
          // reservation then lapses after its ttl (and this call's usage goes uncounted).
          await store.settle(handle, row.totalTokens, unitsOf(row.costUsd)).catch((error: unknown) => {
            logger.error('limit store unavailable: could not settle a reservation', { cause: error instanceof Error ? error : new Error(String(error)) });
          });
        },
      };
    },
  };
}
