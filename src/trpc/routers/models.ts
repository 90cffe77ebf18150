// tRPC: models, admin.setModelPrice, admin.repriceUsage.
import { repriceUsageInput, setModelPriceInput } from '../../domain/reports/schemas.ts';
import { reconcileUsageInput } from '../../domain/reconciliation/schemas.ts';
import { authedProcedure } from '../init.ts';

export const modelsProcedure = authedProcedure.query(({ ctx }) => ctx.services.pricing.models());

export const adminPricingProcedures = {
  setModelPrice: authedProcedure.input(setModelPriceInput).mutation(({ ctx, input }) => ctx.services.pricing.setModelPrice(ctx.principal, input)),
  repriceUsage: authedProcedure.input(repriceUsageInput).mutation(({ ctx, input }) => ctx.services.pricing.repriceUsage(ctx.principal, input)),
  reconcileUsage: authedProcedure.input(reconcileUsageInput).mutation(({ ctx, input }) => ctx.services.reconciliation.reconcileUsage(ctx.principal, input)),
};
