// Admission by every limit that applies to a call: the API key's, the user's and the team's
// (limit-subjects.ts), each with requests per minute, tokens per UTC day and spend per UTC
// calendar month. Reserve-then-settle: the call's upper bound (reservation-bound.ts: input bytes
// plus allowances, its output cap, and their dearest price) is booked against every level at once
// before the upstream call; settle replaces it by the actual usage once the ledger row is
// committed, release gives it all back (the call never went upstream). A model outside the key's
// allow-list is FORBIDDEN before anything is reserved, and so is an unpriced model under a USD
// limit unless UNPRICED_MODELS=allow.
import { AppError, unavailable } from '../../platform/errors.ts';
import { uuidv7 } from '../../platform/ids.ts';
import type { Logger } from '../../platform/logger.ts';
import type { Admission, AdmissionRequest, Reservation } from '../generation/admission.ts';
import type { Pricing } from '../pricing/pricing.ts';
import type { UsageRow } from '../ledger/usage-row.ts';
import type { LimitLevel, LimitName, LimitStore } from './limit-store.ts';
import type { LimitsOf } from './limit-subjects.ts';
import { usdToUnits } from './money.ts';
import { boundingModels, dearestCost } from './reservation-bound.ts';

export interface LimitAdmissionDeps {
  limitsOf: LimitsOf;
  store: LimitStore;
  pricing: Pricing;
  /** After this long a reservation lapses (its instance is presumed dead). */
  reservationTtlMs: number;
  /** A refusal, for /metrics: the limit's name (see refusalName), or 'unavailable' when the store did not answer. */
  onRefusal?: (limit: string) => void;
  logger: Logger;
  /** UNPRICED_MODELS: 'refuse' (default) refuses a call to an unpriced model when a USD limit applies; 'allow' lets it pass at cost 0. */
  unpricedModels?: 'refuse' | 'allow';
}

/** How long a client should wait when the limit store is unreachable. */
export const UNAVAILABLE_RETRY_MS = 1_000;

const NOTHING_RESERVED: Reservation = { settle: async () => {}, release: async () => {} };

/** A refusal's `limit`: the user's own limits keep their v1 names; key and team limits are prefixed ("team:monthlyBudgetUsd"). */
export const refusalName = (level: LimitLevel, limit: LimitName): string => (level === 'user' ? limit : `${level}:${limit}`);

/** A cost as units; an unpriced model (null, UNPRICED_MODELS=allow) costs 0 for budgets. */
const unitsOf = (costUsd: string | null): bigint => (costUsd == null ? 0n : usdToUnits(costUsd));

const WHOSE: Record<LimitLevel, string> = { key: "the API key's ", user: 'the ', team: "the team's " };

export function createLimitAdmission({ limitsOf, store, pricing, reservationTtlMs, onRefusal, logger, unpricedModels = 'refuse' }: LimitAdmissionDeps): Admission {
  function refuse(level: LimitLevel, limit: LimitName, retryAfterMs: number | undefined): AppError {
    const name = refusalName(level, limit);
    onRefusal?.(name);
    const whose = WHOSE[level];
    if (limit === 'requestsPerMinute') {
      return new AppError('RATE_LIMITED', `Too many requests: ${whose}requests-per-minute limit is reached`, { retryAfterMs: retryAfterMs ?? 1_000, limit: name, level });
    }
    const what = limit === 'tokensPerDay' ? 'tokens-per-day limit' : 'monthly spend budget';
    return new AppError('BUDGET_EXCEEDED', `This call would exceed ${whose}${what} (its worst case counts until it ends)`, {
      limit: name,
      level,
      ...(retryAfterMs !== undefined && { retryAfterMs }),
    });
  }

  return {
    async admit(request: AdmissionRequest): Promise<Reservation> {
      const { subjects, allowedModels } = await limitsOf(request.principal);
      if (allowedModels.length > 0 && !allowedModels.includes(request.model)) {
        throw new AppError('FORBIDDEN', `This API key may not call ${request.model} (its allow-list: ${allowedModels.join(', ')})`);
      }
      // No limit at any level: nothing to count, no round trip to the store.
      if (subjects.length === 0) return NOTHING_RESERVED;

      const inputTokens = request.inputTokenBound ?? 0;
      const tokens = inputTokens + request.maxTokens;
      // A modality's units (images, steps, audio, characters) are priced in the same bound.
      // A route's served model is known only once it answers: the dearest it may pick bounds it.
      const worst = dearestCost(pricing, boundingModels(pricing, request.model, allowedModels), inputTokens, request.maxTokens, new Date(), request.units);
      if (worst.costUsd === null && unpricedModels === 'refuse') {
        const budgeted = subjects.find((s) => s.limits.monthlyBudgetUnits !== null);
        if (budgeted) {
          onRefusal?.('unpriced');
          throw new AppError('FORBIDDEN', `The model ${request.model} has no price, so it cannot be called under ${WHOSE[budgeted.level]}monthly spend budget (UNPRICED_MODELS=refuse)`, {
            limit: refusalName(budgeted.level, 'monthlyBudgetUsd'),
            level: budgeted.level,
          });
        }
      }
      const reservationId = uuidv7();
      const refs = subjects.map(({ level, id }) => ({ level, id }));
      let result;
      try {
        result = await store.reserve({ subjects, reservationId, tokens, costUnits: unitsOf(worst.costUsd), ttlMs: reservationTtlMs });
      } catch (error) {
        // Never let a call pass unlimited because the shared store is down: refuse UNAVAILABLE (a
        // dependency the call needs cannot take it now), retryable.
        // A timed-out reserve may still have been booked: undo it, best effort (else it lapses).
        void store.cancel(refs, reservationId).catch(() => undefined);
        onRefusal?.('unavailable');
        logger.error('limit store unavailable: call refused', { cause: error instanceof Error ? error : new Error(String(error)) });
        throw unavailable('Rate limits and budgets cannot be checked right now (the shared limit store does not answer); retry shortly', error, UNAVAILABLE_RETRY_MS);
      }
      if (!result.ok) throw refuse(result.level, result.limit, result.retryAfterMs);
      const { handle } = result;
      let settled = false;
      return {
        async release() {
          if (settled) return;
          settled = true;
          await store.cancel(handle.subjects, handle.reservationId).catch((error: unknown) => {
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
