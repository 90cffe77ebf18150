// GraphQL: setUserLimits (admin).
import { setUserLimitsInput } from '../../domain/admin/user-limits.ts';
import { parseInput } from '../../domain/validation.ts';
import { builder, principalOf } from '../builder.ts';
import { UserRef } from './access.ts';

const SetUserLimitsInputRef = builder.inputType('SetUserLimitsInput', {
  description: 'Absent field: unchanged; null: no limit',
  fields: (t) => ({
    userId: t.id({ required: true }),
    requestsPerMinute: t.int({ required: false }),
    tokensPerDay: t.int({ required: false }),
    monthlyBudgetUsd: t.string({ required: false, description: 'USD, decimal string' }),
  }),
});

builder.mutationField('setUserLimits', (t) =>
  t.field({
    type: UserRef,
    description: 'Admin only',
    args: { input: t.arg({ type: SetUserLimitsInputRef, required: true }) },
    resolve: (_root, args, ctx) => ctx.services.userLimits.setUserLimits(principalOf(ctx), parseInput(setUserLimitsInput, args.input)),
  }),
);
