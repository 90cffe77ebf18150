// Looking a user up by email, for operator tools (the CLIs): admin only.
import type { PrismaClient } from '../../db/index.ts';
import { notFound } from '../../platform/errors.ts';
import { requireAdmin, type Principal } from './principal.ts';
import { isUuid } from '../validation.ts';

export function createUserDirectory({ prisma }: { prisma: PrismaClient }) {
  /** A user id from an email (a UUID is taken as the id itself). NOT_FOUND when there is none. */
  async function idOf(principal: Principal, emailOrId: string): Promise<string> {
    requireAdmin(principal);
    if (isUuid(emailOrId)) return emailOrId;
    const user = await prisma.user.findUnique({ where: { email: emailOrId.trim().toLowerCase() }, select: { id: true } });
    if (!user) throw notFound('User');
    return user.id;
  }

  return { idOf };
}

export type UserDirectory = ReturnType<typeof createUserDirectory>;
