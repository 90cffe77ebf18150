// tRPC: usage.report.
import { usageReportInput } from '../../domain/reports/schemas.ts';
import { reconciliationReportInput } from '../../domain/reconciliation/schemas.ts';
import { authedProcedure, router } from '../init.ts';
import { dashboardUsageProcedures } from './dashboard.ts';

export const usageRouter = router({
  report: authedProcedure.input(usageReportInput).query(({ ctx, input }) => ctx.services.usage.report(ctx.principal, input)),
  ...dashboardUsageProcedures,
  reconciliation: authedProcedure.input(reconciliationReportInput).query(({ ctx, input }) => ctx.services.reconciliation.report(ctx.principal, input)),
});
