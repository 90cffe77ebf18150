// The tRPC app router. `AppRouter` is the type TypeScript services import for end-to-end types.
import { router } from './init.ts';
import { adminAccessProcedures, apiKeysRouter, meProcedure } from './routers/access.ts';

export const appRouter = router({
  me: meProcedure,
  apiKeys: apiKeysRouter,
  admin: router({ ...adminAccessProcedures }),
});

export type AppRouter = typeof appRouter;
