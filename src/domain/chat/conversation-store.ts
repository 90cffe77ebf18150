// Conversations and their messages in the database: ordered rows, owner-scoped reads.
import type { ImageInput, ToolCall } from '../../upstream/call-vocabulary.ts';
import { dbErrorKind, Prisma, type PrismaClient } from '../../db/index.ts';
import { AppError, notFound } from '../../platform/errors.ts';
import { uuidv7 } from '../../platform/ids.ts';
import { decodeKeyset, encodeKeyset } from '../keyset-cursor.ts';
import { isUuid } from '../validation.ts';
import type { ConversationPage, ConversationView, MessageRole, MessageStatus, MessageView } from './conversation-view.ts';

const APPEND_ATTEMPTS = 5;

export interface MessageRow {
  id: string;
  conversationId: string;
  position: number;
  role: MessageRole;
  content: string;
  status: MessageStatus;
  toolCalls: unknown;
  toolCallId: string | null;
  images: unknown;
  usageRecordId: string | null;
  createdAt: Date;
}

/** What a message carries beyond text (tool calls, the call it answers, images). */
export interface MessageExtras {
  toolCalls?: ToolCall[];
  toolCallId?: string | null;
  images?: ImageInput[];
}

const jsonList = <T>(value: unknown): T[] => (Array.isArray(value) ? (value as T[]) : []);
const jsonParam = (list: readonly unknown[] | undefined): string | null => (list?.length ? JSON.stringify(list) : null);

export const toMessageView = (m: MessageRow): MessageView => ({
  id: m.id,
  conversationId: m.conversationId,
  position: m.position,
  role: m.role,
  content: m.content,
  status: m.status,
  toolCalls: jsonList<ToolCall>(m.toolCalls),
  toolCallId: m.toolCallId ?? null,
  images: jsonList<ImageInput>(m.images),
  generationId: m.usageRecordId,
  createdAt: m.createdAt,
});

const conversationSelect = { id: true, title: true, model: true, system: true, createdAt: true, updatedAt: true } as const;

export function createConversationStore(prisma: PrismaClient) {
  /** The caller's conversation, or NOT_FOUND (also for another user's: indistinguishable). */
  async function getOwned(userId: string, id: string): Promise<ConversationView> {
    if (!isUuid(id)) throw notFound('Conversation');
    const row = await prisma.conversation.findFirst({ where: { id, userId }, select: conversationSelect });
    if (!row) throw notFound('Conversation');
    return row;
  }

  async function create(userId: string, title: string, model: string, system: string | null): Promise<ConversationView> {
    return prisma.conversation.create({ data: { id: uuidv7(), userId, title, model, system }, select: conversationSelect });
  }

  async function messages(conversationId: string): Promise<MessageView[]> {
    const rows = await prisma.message.findMany({ where: { conversationId }, orderBy: { position: 'asc' } });
    return rows.map(toMessageView);
  }

  /**
   * Messages a turn may replay (not FAILED, INTERRUPTED or SYSTEM) before `beforePosition`
   * (absent: the newest), newest first, at most `take`: one index range, never the whole table.
   */
  async function replayableBefore(conversationId: string, beforePosition: number | undefined, take: number): Promise<MessageView[]> {
    // One backward range of the (conversationId, position) index; the page size is a literal so
    // the plan is that index scan whatever the conversation's length.
    const limit = Prisma.raw(String(Math.max(1, Math.floor(take))));
    const before = beforePosition === undefined ? Prisma.empty : Prisma.sql`AND "position" < ${beforePosition}::int`;
    const rows = await prisma.$queryRaw<MessageRow[]>`
      SELECT "id", "conversationId", "position", "role", "content", "status", "usageRecordId", "toolCalls", "toolCallId", "images", "createdAt"
      FROM "Message"
      WHERE "conversationId" = ${conversationId}::uuid ${before}
        AND "status" NOT IN ('FAILED', 'INTERRUPTED') AND "role" <> 'SYSTEM'
      ORDER BY "position" DESC
      LIMIT ${limit}`;
    return rows.map(toMessageView);
  }

  /** The last assistant message's tool calls that no later TOOL message answers, and its position. */
  async function openToolCalls(conversationId: string): Promise<{ position: number; calls: ToolCall[] } | undefined> {
    const last = await prisma.message.findFirst({ where: { conversationId, role: 'ASSISTANT' }, orderBy: { position: 'desc' }, select: { position: true, toolCalls: true } });
    if (!last) return undefined;
    const calls = jsonList<ToolCall>(last.toolCalls);
    if (calls.length === 0) return { position: last.position, calls };
    const answered = await prisma.message.findMany({ where: { conversationId, role: 'TOOL', position: { gt: last.position }, toolCallId: { in: calls.map((c) => c.id) } }, select: { toolCallId: true } });
    const done = new Set(answered.map((a) => a.toolCallId));
    return { position: last.position, calls: calls.filter((c) => !done.has(c.id)) };
  }

  /**
   * Appends at the next position; concurrent appends to one conversation retry on the clash; a
   * conversation deleted meanwhile is NOT_FOUND.
   * `system` (when given) replaces the conversation's system prompt in the same transaction.
   */
  async function append(conversationId: string, m: { role: MessageRole; content: string; status: MessageStatus; usageRecordId: string | null } & MessageExtras, system?: string): Promise<MessageView> {
    for (let attempt = 1; ; attempt++) {
      try {
        const [rows] = await prisma.$transaction([
          prisma.$queryRaw<MessageRow[]>`
            INSERT INTO "Message" ("id", "conversationId", "position", "role", "content", "status", "usageRecordId", "toolCalls", "toolCallId", "images")
            SELECT ${uuidv7()}::uuid, ${conversationId}::uuid, COALESCE(MAX("position"), -1) + 1,
                   ${m.role}::"MessageRole", ${m.content}, ${m.status}::"MessageStatus", ${m.usageRecordId}::uuid,
                   ${jsonParam(m.toolCalls)}::jsonb, ${m.toolCallId ?? null}, ${jsonParam(m.images)}::jsonb
            FROM "Message" WHERE "conversationId" = ${conversationId}::uuid
            RETURNING "id", "conversationId", "position", "role", "content", "status", "usageRecordId", "toolCalls", "toolCallId", "images", "createdAt"`,
          prisma.conversation.update({ where: { id: conversationId }, data: { updatedAt: new Date(), ...(system !== undefined && { system, systemSetAt: new Date() }) }, select: { id: true } }),
        ]);
        const row = rows[0];
        if (!row) throw new AppError('INTERNAL', 'Message insert returned nothing');
        return toMessageView(row);
      } catch (error) {
        const kind = dbErrorKind(error);
        // Deleted while the turn ran (deleteConversation beside it): gone, as for any missing conversation.
        if (kind === 'foreign_key_violation') throw notFound('Conversation');
        if (kind !== 'unique_violation' || attempt >= APPEND_ATTEMPTS) throw error;
      }
    }
  }

  async function list(userId: string, first: number, after: string | null | undefined): Promise<ConversationPage> {
    const cursor = after != null ? decodeCursor(after) : undefined;
    const rows = await prisma.conversation.findMany({
      where: {
        userId,
        ...(cursor && {
          OR: [{ updatedAt: { lt: cursor.updatedAt } }, { updatedAt: cursor.updatedAt, id: { lt: cursor.id } }],
        }),
      },
      orderBy: [{ updatedAt: 'desc' }, { id: 'desc' }],
      take: first + 1,
      select: conversationSelect,
    });
    const nodes = rows.slice(0, first);
    const last = nodes.at(-1);
    return { nodes, hasNextPage: rows.length > first, endCursor: last ? encodeCursor(last) : null };
  }

  async function remove(userId: string, id: string): Promise<boolean> {
    if (!isUuid(id)) throw notFound('Conversation');
    const { count } = await prisma.conversation.deleteMany({ where: { id, userId } });
    if (count === 0) throw notFound('Conversation');
    return true;
  }

  return { getOwned, create, messages, replayableBefore, openToolCalls, append, list, remove, cursorOf: encodeCursor };
}

export type ConversationStore = ReturnType<typeof createConversationStore>;

const encodeCursor = (c: { updatedAt: Date; id: string }): string => encodeKeyset({ at: c.updatedAt, id: c.id });

function decodeCursor(cursor: string): { updatedAt: Date; id: string } {
  const { at, id } = decodeKeyset(cursor);
  return { updatedAt: at, id };
}
