// GraphQL: the limits of an API key or a team, and the balance's type.
import type { Remaining } from '../../domain/limits/remaining.ts';
import type { LimitValues } from '../../domain/limits/limit-values.ts';
import { builder } from '../builder.ts';

export const LimitsRef = builder.objectRef<LimitValues>('Limits').implement({
  description: 'Limits of an API key or a team; null means no limit at that level',
  fields: (t) => ({
    requestsPerMinute: t.exposeInt('requestsPerMinute', { nullable: true }),
    tokensPerDay: t.exposeInt('tokensPerDay', { nullable: true }),
    monthlyBudgetUsd: t.exposeString('monthlyBudgetUsd', { nullable: true, description: 'USD, decimal string' }),
  }),
});

export const LimitsInputRef = builder.inputType('LimitsInput', {
  description: 'Absent or null: no limit at that level',
  fields: (t) => ({
    requestsPerMinute: t.int({ required: false }),
    tokensPerDay: t.int({ required: false }),
    monthlyBudgetUsd: t.string({ required: false, description: 'USD, decimal string' }),
  }),
});

export const RemainingRef = builder.objectRef<Remaining>('Remaining').implement({
  description: 'What is left now at the tightest applicable level (API key, user, team); null = unlimited. Calls in flight count with their worst case.',
  fields: (t) => ({
    requestsThisMinute: t.exposeInt('requestsThisMinute', { nullable: true }),
    tokensToday: t.exposeInt('tokensToday', { nullable: true, description: 'UTC day' }),
    budgetUsdThisMonth: t.exposeString('budgetUsdThisMonth', { nullable: true, description: 'USD, decimal string; UTC calendar month' }),
  }),
});

