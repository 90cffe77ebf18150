// The tRPC app router. `AppRouter` is the type TypeScript services import for end-to-end types.
import { router } from './init.ts';
import { adminAccessProcedures, apiKeysRouter, meProcedure } from './routers/access.ts';
import { chatProcedures, conversationsRouter } from './routers/chat.ts';
import { generationProcedures } from './routers/generation.ts';

export const appRouter = router({
  ...generationProcedures,
  ...chatProcedures,
  me: meProcedure,
  conversations: conversationsRouter,
  apiKeys: apiKeysRouter,
  admin: router({ ...adminAccessProcedures }),
});

export type AppRouter = typeof appRouter;
