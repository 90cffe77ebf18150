// Messages of many conversations in one round trip, a page each: what GraphQL's batched
// `Conversation.messages` loads (one query for a whole list of conversations, never one each).
import { z } from 'zod';
import { Prisma, type PrismaClient } from '../../db/index.ts';
import type { Principal } from '../access/principal.ts';
import { toMessageView } from './conversation-store.ts';
import type { MessageView } from './conversation-view.ts';

export const MAX_MESSAGES_PAGE = 500;

export const messagePageInput = z.object({
  /** At most this many messages per conversation (default and maximum 500). */
  first: z.number().int().min(1).max(MAX_MESSAGES_PAGE).optional().nullable(),
  /** Messages after this position (exclusive); absent: from the start. */
  afterPosition: z.number().int().min(-1).max(2_147_483_647).optional().nullable(),
});
export type MessagePageInput = z.infer<typeof messagePageInput>;

export function createMessagePages(prisma: PrismaClient) {
  /** The caller's conversations' messages in order, `page` of each; other users' ids get none. */
  async function pagesOf(principal: Principal, conversationIds: readonly string[], page: MessagePageInput): Promise<Map<string, MessageView[]>> {
    const pages = new Map<string, MessageView[]>(conversationIds.map((id) => [id, []]));
    if (conversationIds.length === 0) return pages;
    const first = page.first ?? MAX_MESSAGES_PAGE;
    const after = page.afterPosition ?? -1;
    const picked = await prisma.$queryRaw<Array<{ id: string }>>`
      SELECT "id" FROM (
        SELECT m."id", ROW_NUMBER() OVER (PARTITION BY m."conversationId" ORDER BY m."position") AS rn
        FROM "Message" m JOIN "Conversation" c ON c."id" = m."conversationId"
        WHERE m."conversationId" IN (${Prisma.join(conversationIds.map((id) => Prisma.sql`${id}::uuid`))})
          AND c."userId" = ${principal.userId}::uuid AND m."position" > ${after}
      ) ranked WHERE rn <= ${first}`;
    if (picked.length === 0) return pages;
    const rows = await prisma.message.findMany({ where: { id: { in: picked.map((p) => p.id) } }, orderBy: [{ conversationId: 'asc' }, { position: 'asc' }] });
    for (const row of rows) pages.get(row.conversationId)?.push(toMessageView(row));
    return pages;
  }

  return { pagesOf };
}

export type MessagePages = ReturnType<typeof createMessagePages>;
