// Looking users up by email and ids, for operator tools (the CLIs): admin only.
import type { PrismaClient } from '../../db/index.ts';
import { notFound } from '../../errors.ts';
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

  /** id -> email for the given ids (unknown ids are left out). */
  async function emailsOf(principal: Principal, ids: readonly string[]): Promise<Map<string, string>> {
    requireAdmin(principal);
    if (ids.length === 0) return new Map();
    const users = await prisma.user.findMany({ where: { id: { in: [...ids] } }, select: { id: true, email: true } });
    return new Map(users.map((u) => [u.id, u.email]));
  }

  return { idOf, emailsOf };
}

export type UserDirectory = ReturnType<typeof createUserDirectory>;
