// The three limits as admins set them on a user, an API key or a team (null = no limit at that
// level), and the one zod shape that validates them on every input that takes them.
import { z } from 'zod';
import { decimalString } from '../reports/schemas.ts';

export interface LimitValues {
  requestsPerMinute: number | null;
  tokensPerDay: number | null;
  /** USD, decimal string. */
  monthlyBudgetUsd: string | null;
}

export const NO_LIMITS: LimitValues = { requestsPerMinute: null, tokensPerDay: null, monthlyBudgetUsd: null };

const limit = z.number().int('must be a whole number').positive('must be positive; null means no limit').max(2_147_483_647).nullish();

/** Absent field: unchanged (or none, on create); null: no limit. */
export const limitValuesInput = z.object({
  requestsPerMinute: limit,
  tokensPerDay: limit,
  monthlyBudgetUsd: decimalString.nullish(),
});
export type LimitValuesInput = z.infer<typeof limitValuesInput>;

/** Prisma `data` for the fields given (absent: unchanged). */
export function limitColumns(input: LimitValuesInput | null | undefined): Partial<LimitValues> {
  if (!input) return {};
  return {
    ...(input.requestsPerMinute !== undefined && { requestsPerMinute: input.requestsPerMinute }),
    ...(input.tokensPerDay !== undefined && { tokensPerDay: input.tokensPerDay }),
    ...(input.monthlyBudgetUsd !== undefined && { monthlyBudgetUsd: input.monthlyBudgetUsd }),
  };
}

/** Limit columns of a row (Decimal budget) as LimitValues. */
export function limitValuesOf(row: { requestsPerMinute: number | null; tokensPerDay: number | null; monthlyBudgetUsd: { toString(): string } | null }): LimitValues {
  return {
    requestsPerMinute: row.requestsPerMinute,
    tokensPerDay: row.tokensPerDay,
    monthlyBudgetUsd: row.monthlyBudgetUsd === null ? null : row.monthlyBudgetUsd.toString(),
  };
}
