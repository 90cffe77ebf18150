// tRPC: usage.recentCalls, usage.modelPerformance, usage.conversationCosts (the dashboard's reads).
import { conversationCostsInput, modelPerformanceInput, recentCallsInput } from '../../domain/reports/dashboard-schemas.ts';
import { authedProcedure } from '../init.ts';

export const dashboardUsageProcedures = {
  recentCalls: authedProcedure.input(recentCallsInput).query(({ ctx, input }) => ctx.services.recentCalls.list(ctx.principal, input)),
  modelPerformance: authedProcedure.input(modelPerformanceInput).query(({ ctx, input }) => ctx.services.modelPerformance.byModel(ctx.principal, input)),
  conversationCosts: authedProcedure.input(conversationCostsInput).query(({ ctx, input }) => ctx.services.conversationCosts.list(ctx.principal, input)),
};
