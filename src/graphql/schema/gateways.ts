// GraphQL: gateways, chooseGateway, syncGateways.
import type { CallerGateway } from '../../domain/gateways/gateway-service.ts';
import { chooseGatewayInput } from '../../domain/gateways/schemas.ts';
import { parseInput } from '../../domain/validation.ts';
import { builder, principalOf } from '../builder.ts';
import { UserRef } from './access.ts';

const GatewayRef = builder.objectRef<CallerGateway>('Gateway').implement({
  description: 'A Cloudflare AI Gateway that calls may be routed through (sent as cf-aig-gateway-id)',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'The Cloudflare gateway id' }),
    name: t.exposeString('name'),
    enabled: t.exposeBoolean('enabled'),
    source: t.exposeString('source', { description: 'CONFIG (seeded from configuration) or CLOUDFLARE (synced)' }),
    isDefault: t.exposeBoolean('isDefault', { description: "The caller's default: its chosen gateway, else DEFAULT_GATEWAY_ID" }),
  }),
});

builder.queryField('gateways', (t) =>
  t.field({
    type: [GatewayRef],
    description: 'The gateways the caller may use (admins also see disabled ones); its default is marked',
    resolve: (_root, _args, ctx) => ctx.services.gateways.list(principalOf(ctx)),
  }),
);

builder.mutationFields((t) => ({
  chooseGateway: t.field({
    type: UserRef,
    description: "Sets the caller's default gateway (admins may name another user); every choice is kept",
    args: {
      gatewayId: t.arg.string({ required: true }),
      userId: t.arg.id({ required: false, description: 'Admin only: whose default to set' }),
    },
    resolve: (_root, args, ctx) => ctx.services.gateways.choose(principalOf(ctx), parseInput(chooseGatewayInput, args)),
  }),
  syncGateways: t.field({
    type: [GatewayRef],
    description: "Admin: refresh the registry from Cloudflare's gateway list",
    resolve: (_root, _args, ctx) => ctx.services.gateways.sync(principalOf(ctx), ctx.signal),
  }),
}));
