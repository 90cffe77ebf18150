// tRPC: admin.auditLog, admin.budgetAlerts.{list,create,delete}, budgetEvents (subscription),
// admin.purgeUserData, admin.exportUserData and me.export.
import { budgetAlertIdInput, createBudgetAlertInput } from '../../domain/alerts/schemas.ts';
import { auditLogInput } from '../../domain/audit/schemas.ts';
import { exportUserDataInput, purgeUserDataInput } from '../../domain/retention/schemas.ts';
import { connectionOf } from '../connection.ts';
import { authedProcedure, router } from '../init.ts';

export const adminOperatorProcedures = {
  auditLog: authedProcedure
    .input(auditLogInput.optional())
    .query(async ({ ctx, input }) => connectionOf(await ctx.services.auditLog.auditLog(ctx.principal, input ?? {}), ctx.services.auditLog.cursorOf)),
  budgetAlerts: router({
    list: authedProcedure.query(({ ctx }) => ctx.services.budgetAlerts.list(ctx.principal)),
    create: authedProcedure.input(createBudgetAlertInput).mutation(({ ctx, input }) => ctx.services.budgetAlerts.create(ctx.principal, input)),
    delete: authedProcedure.input(budgetAlertIdInput).mutation(({ ctx, input }) => ctx.services.budgetAlerts.remove(ctx.principal, input.id)),
  }),
  purgeUserData: authedProcedure.input(purgeUserDataInput).mutation(({ ctx, input }) => ctx.services.retention.purgeUserData(ctx.principal, input.userId)),
  exportUserData: authedProcedure.input(exportUserDataInput.optional()).query(({ ctx, input }) => ctx.services.retention.exportUserData(ctx.principal, input?.userId)),
};

export const budgetEventsProcedure = authedProcedure.subscription(({ ctx, signal }) => ctx.services.budgetEvents.subscribe(ctx.principal, signal));

/** `me.export`: the caller's own data. `me` itself is a query, so this is registered by its full path. */
export const meExportProcedure = authedProcedure.query(({ ctx }) => ctx.services.retention.exportUserData(ctx.principal, null));
