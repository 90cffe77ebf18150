// auditLog (admin): the audit events, newest first, filtered by time, actor and action, paged by
// the keyset cursor of every paged list (keyset-cursor.ts). Read-only: nothing in the application updates or deletes an event.
import type { PrismaClient } from '../../db/index.ts';
import { requireAdmin, type Principal } from '../access/principal.ts';
import { decodeKeyset, encodeKeyset } from '../keyset-cursor.ts';
import type { AuditLogInput } from './schemas.ts';

export interface AuditEventView {
  id: string;
  at: Date;
  actorUserId: string | null;
  actorApiKeyId: string | null;
  action: string;
  targetType: string;
  targetId: string | null;
  details: unknown;
  requestId: string | null;
}

export interface AuditEventPage {
  nodes: AuditEventView[];
  hasNextPage: boolean;
  endCursor: string | null;
}

const DEFAULT_PAGE = 50;

export function createAuditLog({ prisma }: { prisma: PrismaClient }) {
  async function auditLog(principal: Principal, input: AuditLogInput): Promise<AuditEventPage> {
    requireAdmin(principal);
    const first = input.first ?? DEFAULT_PAGE;
    const cursor = input.after != null ? decodeKeyset(input.after) : undefined;
    const action = input.action ? input.action.toLowerCase().replaceAll('_', '.') : undefined;
    const rows = await prisma.auditEvent.findMany({
      where: {
        AND: [
          input.from || input.to ? { at: { ...(input.from && { gte: input.from }), ...(input.to && { lt: input.to }) } } : {},
          input.actorUserId ? { actorUserId: input.actorUserId } : {},
          action ? { OR: [{ action }, { action: { startsWith: `${action}.` } }] } : {},
          cursor ? { OR: [{ at: { lt: cursor.at } }, { at: cursor.at, id: { lt: cursor.id } }] } : {},
        ],
      },
      orderBy: [{ at: 'desc' }, { id: 'desc' }],
      take: first + 1,
    });
    const nodes = rows.slice(0, first);
    const last = nodes.at(-1);
    return { nodes, hasNextPage: rows.length > first, endCursor: last ? encodeKeyset(last) : null };
  }
  return { auditLog, cursorOf: encodeKeyset };
}

export type AuditLog = ReturnType<typeof createAuditLog>;
