// Conversations and their messages in the database: ordered rows, owner-scoped reads.
import type { ImageInput, ToolCall } from '../../upstream/call-vocabulary.ts';
import { dbErrorKind, type PrismaClient } from '../../db/index.ts';
import { AppError, notFound } from '../../platform/errors.ts';
import { uuidv7 } from '../../platform/ids.ts';
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
   * Appends at the next position; concurrent appends to one conversation retry on the clash.
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
          prisma.conversation.update({ where: { id: conversationId }, data: { updatedAt: new Date(), ...(system !== undefined && { system }) }, select: { id: true } }),
        ]);
        const row = rows[0];
        if (!row) throw new AppError('INTERNAL', 'Message insert returned nothing');
        return toMessageView(row);
      } catch (error) {
        if (dbErrorKind(error) !== 'unique_violation' || attempt >= APPEND_ATTEMPTS) throw error;
      }
    }
  }

  async function list(userId: string, first: number, after: string | null | undefined): Promise<ConversationPage> {
    const cursor = after ? decodeCursor(after) : undefined;
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

  return { getOwned, create, messages, append, list, remove, cursorOf: encodeCursor };
}

export type ConversationStore = ReturnType<typeof createConversationStore>;

function encodeCursor(c: { updatedAt: Date; id: string }): string {
  return Buffer.from(`${c.updatedAt.toISOString()}|${c.id}`).toString('base64url');
}

function decodeCursor(cursor: string): { updatedAt: Date; id: string } {
  const [at, id] = Buffer.from(cursor, 'base64url').toString().split('|');
  const updatedAt = new Date(at ?? '');
  if (!id || Number.isNaN(updatedAt.getTime()) || !/^[0-9a-f-]{36}$/.test(id)) {
    throw new AppError('BAD_INPUT', 'Not a cursor from this API', { field: 'after' });
  }
  return { updatedAt, id };
}
