// tRPC: me, admin.createUser / admin.createApiKey / admin.setUserLimits, apiKeys.list / create / rotate / revoke / revokeAll.
import { createApiKeyInput, createUserInput, idInput, keyOwnerInput } from '../../domain/access/schemas.ts';
import { setUserLimitsInput } from '../../domain/admin/user-limits.ts';
import { authedProcedure, router } from '../init.ts';
import { setApiKeyLimitsProcedure } from './teams.ts';

export const meProcedure = authedProcedure.query(async ({ ctx }) => {
  const [user, remaining] = await Promise.all([ctx.services.access.me(ctx.principal), ctx.services.balance.remaining(ctx.principal)]);
  return { ...user, remaining };
});

export const adminAccessProcedures = {
  createUser: authedProcedure
    .input(createUserInput)
    .mutation(({ ctx, input }) => ctx.services.access.createUser(ctx.principal, input)),
  createApiKey: authedProcedure
    .input(createApiKeyInput)
    .mutation(({ ctx, input }) => ctx.services.access.createApiKey(ctx.principal, input)),
  setUserLimits: authedProcedure
    .input(setUserLimitsInput)
    .mutation(({ ctx, input }) => ctx.services.userLimits.setUserLimits(ctx.principal, input)),
};

export const apiKeysRouter = router({
  list: authedProcedure.input(keyOwnerInput.optional()).query(({ ctx, input }) => ctx.services.access.listApiKeys(ctx.principal, input?.userId)),
  create: authedProcedure.input(createApiKeyInput).mutation(({ ctx, input }) => ctx.services.access.createApiKey(ctx.principal, input)),
  rotate: authedProcedure.input(idInput).mutation(({ ctx, input }) => ctx.services.access.rotateApiKey(ctx.principal, input.id)),
  setLimits: setApiKeyLimitsProcedure,
  revoke: authedProcedure.input(idInput).mutation(({ ctx, input }) => ctx.services.access.revokeApiKey(ctx.principal, input.id)),
  revokeAll: authedProcedure.input(keyOwnerInput.optional()).mutation(({ ctx, input }) => ctx.services.access.revokeAllApiKeys(ctx.principal, input?.userId)),
});
