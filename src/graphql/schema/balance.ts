// GraphQL: User.remaining, the balance.
import { builder, principalOf } from '../builder.ts';
import { UserRef } from './access.ts';
import { RemainingRef } from './limits.ts';

builder.objectField(UserRef, 'remaining', (t) =>
  t.field({
    type: RemainingRef,
    nullable: true,
    description: "The caller's own balance includes its API key's limits; an admin may read any user's (user and team levels). When the limit store cannot be read: an UNAVAILABLE error (never null).",
    resolve: (user, _args, ctx) => ctx.services.balance.remainingOfUser(principalOf(ctx), user.id),
  }),
);
