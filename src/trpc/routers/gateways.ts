// tRPC: gateways.list, gateways.choose, admin.syncGateways.
import { chooseGatewayInput } from '../../domain/gateways/schemas.ts';
import { authedProcedure, router } from '../init.ts';

export const gatewaysRouter = router({
  list: authedProcedure.query(({ ctx }) => ctx.services.gateways.list(ctx.principal)),
  choose: authedProcedure.input(chooseGatewayInput).mutation(({ ctx, input }) => ctx.services.gateways.choose(ctx.principal, input)),
});

export const adminGatewayProcedures = {
  syncGateways: authedProcedure.mutation(({ ctx, signal }) => ctx.services.gateways.sync(ctx.principal, signal)),
};
