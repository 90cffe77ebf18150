// Inputs of the access operations: one zod schema each, shared by GraphQL and tRPC.
import { z } from 'zod';
import { safeString } from '../safe-text.ts';
import { limitValuesInput } from '../limits/limit-values.ts';
import { dateInput, entityId } from '../validation.ts';

/** A model id as the contract allows it (v2 door rule). */
export const modelId = z.string().regex(/^[@A-Za-z0-9][A-Za-z0-9._:/@-]{0,127}$/, 'must be a model id such as "openai/gpt-5.5"');

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
  /** When the key stops working; absent: never. Must be in the future (and before year 10000). */
  expiresAt: dateInput.refine((d) => d.getTime() > Date.now(), 'must be in the future').optional().nullable(),
  /** The key's own limits; absent or null fields: none at this level. */
  limits: limitValuesInput.nullish(),
  /** Model ids the key may call; absent or empty: any model. */
  allowedModels: z.array(modelId).max(100).nullish(),
});
export type CreateApiKeyInput = z.infer<typeof createApiKeyInput>;

export const idInput = z.object({ id: entityId });

/** Whose keys: absent means the caller's own; only admins may name another user. */
export const keyOwnerInput = z.object({ userId: entityId.optional().nullable() });
export type KeyOwnerInput = z.infer<typeof keyOwnerInput>;
