// Inputs of reconcileUsage and reconciliation: one zod schema each, shared by GraphQL and tRPC.
import { z } from 'zod';
import { safeString } from '../safe-text.ts';
import { dateInput as date } from '../validation.ts';

const gatewayId = safeString().pipe(z.string().trim().min(1).max(64));

/** The longest range one run may cover (memory stays flat anyway; this bounds a run's time). */
export const MAX_RECONCILE_RANGE_MS = 31 * 86_400_000;

export const reconcileUsageInput = z
  .object({ from: date, to: date, gatewayId: gatewayId.nullish() })
  .refine((i) => i.from.getTime() < i.to.getTime(), { message: 'must be after from', path: ['to'] })
  .refine((i) => i.to.getTime() - i.from.getTime() <= MAX_RECONCILE_RANGE_MS, { message: 'a run covers at most 31 days', path: ['to'] });
export type ReconcileUsageInput = z.infer<typeof reconcileUsageInput>;

export const reconciliationReportInput = z
  .object({
    from: date,
    to: date,
    gatewayId: gatewayId.nullish(),
    userId: z.uuid({ message: 'must be a user id' }).nullish(),
    allUsers: z.boolean().nullish(),
  })
  .refine((i) => i.from.getTime() < i.to.getTime(), { message: 'must be after from', path: ['to'] })
  .refine((i) => !(i.userId && i.allUsers), { message: 'give userId or allUsers, not both', path: ['allUsers'] });
export type ReconciliationReportInput = z.infer<typeof reconciliationReportInput>;
