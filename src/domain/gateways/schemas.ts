// Inputs of the gateway operations: one zod schema each, shared by GraphQL and tRPC.
import { z } from 'zod';
import { safeString } from '../safe-text.ts';

export const chooseGatewayInput = z.object({
  gatewayId: safeString().pipe(z.string().trim().min(1, 'must not be empty').max(64)),
  /** Whose default to set: absent = the caller. Only admins may name another user. */
  userId: z.uuid({ message: 'must be a user id' }).nullish(),
});
export type ChooseGatewayInput = z.infer<typeof chooseGatewayInput>;
