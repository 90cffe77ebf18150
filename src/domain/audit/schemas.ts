// auditLog's input, one zod schema for GraphQL and tRPC.
import { z } from 'zod';
import { safeString } from '../safe-text.ts';
import { dateInput } from '../validation.ts';

export const auditLogInput = z
  .object({
    from: dateInput.nullish(),
    /** Exclusive. */
    to: dateInput.nullish(),
    actorUserId: z.uuid({ message: 'must be a user id' }).nullish(),
    /** An action (key.create) or a family (key); case and `_` are forgiven (KEY_CREATE). */
    action: z.string().trim().min(1).max(100).regex(/^[A-Za-z._]+$/, 'must be an action such as key.create or a family such as key').nullish(),
    first: z.number().int().min(1).max(500).nullish(),
    after: safeString().pipe(z.string().trim().max(200)).nullish(),
  })
  .refine((v) => !v.from || !v.to || v.from.getTime() < v.to.getTime(), { message: 'must be after from', path: ['to'] });
export type AuditLogInput = z.infer<typeof auditLogInput>;
