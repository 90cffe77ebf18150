// Budget alert inputs, one zod schema each for GraphQL and tRPC.
import { z } from 'zod';
import { safeString } from '../safe-text.ts';
import { entityId } from '../validation.ts';

export const BUDGET_SCOPES = ['USER', 'TEAM', 'API_KEY'] as const;
export type BudgetScope = (typeof BUDGET_SCOPES)[number];

export const createBudgetAlertInput = z.object({
  scope: z.enum(BUDGET_SCOPES),
  subjectId: z.uuid({ message: 'must be the id of the user, team or API key' }),
  /** Percent of the subject's limit, (0, 1000]: 50 fires at half the budget, 100 when it is used up. */
  thresholdPercent: z.number().positive('must be above 0').max(1000, 'must be at most 1000'),
  /** Where the event is POSTed; absent: the subscription only. */
  webhookUrl: safeString().pipe(z.string().trim().min(1).max(2000)).nullish(),
});
export type CreateBudgetAlertInput = z.infer<typeof createBudgetAlertInput>;

export const budgetAlertIdInput = z.object({ id: entityId });
