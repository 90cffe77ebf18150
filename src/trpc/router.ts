// The tRPC app router. `AppRouter` is the type TypeScript services import for end-to-end types.
import { router } from './init.ts';
import { adminAccessProcedures, apiKeysRouter, meProcedure } from './routers/access.ts';
import { chatProcedures, conversationsRouter } from './routers/chat.ts';
import { generationProcedures } from './routers/generation.ts';
import { modalityProcedures } from './routers/modalities.ts';
import { adminGatewayProcedures, gatewaysRouter } from './routers/gateways.ts';
import { adminPricingProcedures, modelsProcedure } from './routers/models.ts';
import { usageRouter } from './routers/usage.ts';
import { adminTeamsRouter, setApiKeyLimitsProcedure, teamsRouter } from './routers/teams.ts';
import { adminOperatorProcedures, budgetEventsProcedure, meExportProcedure } from './routers/operators.ts';

export const appRouter = router({
  ...generationProcedures,
  ...modalityProcedures,
  ...chatProcedures,
  me: meProcedure,
  'me.export': meExportProcedure,
  budgetEvents: budgetEventsProcedure,
  conversations: conversationsRouter,
  apiKeys: apiKeysRouter,
  models: modelsProcedure,
  gateways: gatewaysRouter,
  usage: usageRouter,
  teams: teamsRouter,
  admin: router({
    ...adminAccessProcedures,
    ...adminGatewayProcedures,
    ...adminPricingProcedures,
    teams: adminTeamsRouter,
    setApiKeyLimits: setApiKeyLimitsProcedure,
    ...adminOperatorProcedures,
  }),
});

export type AppRouter = typeof appRouter;
