// purgeUserData / exportUserData inputs, one zod schema each for GraphQL and tRPC.
import { z } from 'zod';
import { safeString } from '../safe-text.ts';

export const purgeUserDataInput = z.object({ userId: z.uuid({ message: 'must be a user id' }) });
/** Absent: the caller. A USER may name only itself (another user's id is NOT_FOUND). */
export const exportUserDataInput = z.object({ userId: safeString().pipe(z.string().trim().min(1).max(200)).nullish() });
