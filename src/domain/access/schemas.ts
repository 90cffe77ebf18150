// Inputs of the access operations: one zod schema each, shared by GraphQL and tRPC.
import { z } from 'zod';
import { safeString } from '../safe-text.ts';
import { entityId } from '../validation.ts';

export const roleSchema = z.enum(['USER', 'ADMIN']);

export const createUserInput = z.object({
  email: z.string().trim().toLowerCase().pipe(z.email({ message: 'must be an email address' })).pipe(z.string().max(320)),
  role: roleSchema.default('USER'),
});
export type CreateUserInput = z.infer<typeof createUserInput>;

export const createApiKeyInput = z.object({
  /** Whose key: absent means the caller's own. Only admins may name another user. */
  userId: entityId.optional(),
  name: safeString().pipe(z.string().trim().min(1, 'must not be empty').max(100)).default('default'),
});
export type CreateApiKeyInput = z.infer<typeof createApiKeyInput>;

export const idInput = z.object({ id: entityId });
