// Retention and a user's data: RETENTION_DAYS erases old content (messages, system prompts, tool
// content, images) and nothing else; purgeUserData erases one user's content now and revokes its
// keys; exportUserData returns what is stored (no secret). Ledger rows, tokens, costs and report
// totals are the same before and after; purge and export are audited.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trpcErrorData } from '../helpers/errors.ts';
import { createUserWithKey, startTestServer, type TestServer } from '../helpers/server.ts';

const MODEL = '@cf/moonshotai/kimi-k2.6';
const PIXEL = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=';
const DAY_MS = 86_400_000;

const REPORT = `query($input: UsageReportInput!) { usageReport(input: $input) { totals { requests inputTokens outputTokens totalTokens costUsd } rows { day requests totalTokens costUsd } } }`;

describe('retention, purge and export', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ RETENTION_DAYS: '30' });
    await server.trpc().admin.setModelPrice.mutate({ model: MODEL, inputPerMTok: '1.5', outputPerMTok: '3' });
  }, 60_000);
  afterAll(async () => {
    await server?.close();
  });

  const prisma = () => server.app.db.prisma;
  const report = async () => {
    const res = await server.gql<{ usageReport: unknown }>(REPORT, { input: { from: new Date(Date.now() - 90 * DAY_MS).toISOString(), to: new Date(Date.now() + DAY_MS).toISOString(), groupBy: ['DAY', 'USER'], allUsers: true } });
    expect(res.errors).toBeUndefined();
    return res.data!.usageReport;
  };
  const ledger = async () =>
    (await prisma().usageRecord.findMany({ orderBy: { id: 'asc' } })).map(({ contentPurgedAt: _c, ...row }) => ({ ...row, costUsd: row.costUsd?.toString() ?? null }));

  async function conversation(key: string, system: string, first: string) {
    const trpc = server.trpc(key);
    const turn = await trpc.chat.mutate({ model: MODEL, system, message: first, images: [{ data: PIXEL, mediaType: 'image/png' }], maxTokens: 16 });
    await trpc.chat.mutate({ model: MODEL, conversationId: turn.conversation.id, message: 'and a second turn', maxTokens: 16 });
    return turn.conversation.id;
  }

  /** Moves a conversation, its messages and its ledger rows `days` into the past. */
  async function age(conversationId: string, days: number) {
    const at = new Date(Date.now() - days * DAY_MS).toISOString();
    await prisma().$executeRawUnsafe(`UPDATE "Message" SET "createdAt" = $2::timestamptz WHERE "conversationId" = $1::uuid`, conversationId, at);
    await prisma().$executeRawUnsafe(`UPDATE "Conversation" SET "updatedAt" = $2::timestamptz, "createdAt" = $2::timestamptz WHERE "id" = $1::uuid`, conversationId, at);
    await prisma().$executeRawUnsafe(`UPDATE "UsageRecord" SET "createdAt" = $2::timestamptz, "finishedAt" = $2::timestamptz WHERE "conversationId" = $1::uuid`, conversationId, at);
  }

  it('RETENTION_DAYS erases old content and nothing else: rows, tokens, costs and report totals unchanged', async () => {
    const { key } = await createUserWithKey(server, 'keeper@example.com');
    const old = await conversation(key, 'OLD SYSTEM PROMPT', 'an old secret plan');
    const fresh = await conversation(key, 'NEW SYSTEM PROMPT', 'a fresh question');
    await age(old, 45);
    await server.app.ledger.drain();
    const [reportBefore, ledgerBefore] = [await report(), await ledger()];

    const swept = await server.app.services.retention.sweep();
    expect(swept?.messagesErased).toBe(4);
    expect(swept?.conversationsErased).toBe(1);
    expect(swept?.usageRecordsMarked).toBeGreaterThanOrEqual(2);

    const oldConv = await prisma().conversation.findUniqueOrThrow({ where: { id: old }, include: { messages: true } });
    expect(oldConv.system).toBeNull();
    expect(oldConv.title).not.toMatch(/secret/);
    expect(oldConv.contentPurgedAt).not.toBeNull();
    expect(oldConv.messages).toHaveLength(4);
    for (const m of oldConv.messages) {
      expect(m).toMatchObject({ content: '', images: null, toolCalls: null });
      expect(m.contentPurgedAt).not.toBeNull();
    }
    const freshConv = await prisma().conversation.findUniqueOrThrow({ where: { id: fresh }, include: { messages: { orderBy: { position: 'asc' } } } });
    expect(freshConv.system).toBe('NEW SYSTEM PROMPT');
    expect(freshConv.messages[0]!.content).toBe('a fresh question');
    expect(freshConv.messages[0]!.images).not.toBeNull();
    expect(freshConv.messages.every((m) => m.contentPurgedAt === null)).toBe(true);

    expect(await ledger()).toEqual(ledgerBefore);
    expect(await report()).toEqual(reportBefore);
    const marked = await prisma().usageRecord.findMany({ where: { conversationId: old } });
    expect(marked.length).toBeGreaterThanOrEqual(2);
    expect(marked.every((r) => r.contentPurgedAt !== null)).toBe(true);
    expect(await prisma().usageRecord.count({ where: { conversationId: fresh, contentPurgedAt: { not: null } } })).toBe(0);
    // a second sweep finds nothing left
    expect(await server.app.services.retention.sweep()).toMatchObject({ messagesErased: 0, conversationsErased: 0, usageRecordsMarked: 0 });
  }, 60_000);

  it('a conversation still in use: its old system prompt and title go by their own age; a system prompt a recent turn replaced stays', async () => {
    const { key } = await createUserWithKey(server, 'long-running@example.com');
    const trpc = server.trpc(key);
    const started = await trpc.chat.mutate({ model: MODEL, system: 'AN OLD SYSTEM PROMPT', message: 'an old first question', maxTokens: 16 });
    const replaced = await trpc.chat.mutate({ model: MODEL, system: 'ANOTHER OLD PROMPT', message: 'an old start too', maxTokens: 16 });
    // both created 45 days ago; each had a turn today (updatedAt: now)
    for (const { conversation } of [started, replaced]) {
      await prisma().$executeRawUnsafe(`UPDATE "Conversation" SET "createdAt" = now() - interval '45 days' WHERE "id" = $1::uuid`, conversation.id);
    }
    await trpc.chat.mutate({ model: MODEL, conversationId: replaced.conversation.id, system: 'A FRESH SYSTEM PROMPT', message: 'today', maxTokens: 16 });
    await trpc.chat.mutate({ model: MODEL, conversationId: started.conversation.id, message: 'today too', maxTokens: 16 });

    await server.app.services.retention.sweep();
    const [a, b] = await Promise.all([started, replaced].map(({ conversation }) => prisma().conversation.findUniqueOrThrow({ where: { id: conversation.id } })));
    expect(a).toMatchObject({ system: null, title: '(erased)' });
    expect(a!.contentPurgedAt).not.toBeNull();
    expect(b).toMatchObject({ system: 'A FRESH SYSTEM PROMPT', title: '(erased)' });
    // a second sweep finds nothing more to erase
    const again = await server.app.services.retention.sweep();
    expect(again?.conversationsErased).toBe(0);
  });

  it('exportUserData returns what is stored (never a secret); purgeUserData erases it, revokes the keys, keeps the totals; both audited', async () => {
    const { userId, key } = await createUserWithKey(server, 'leaver@example.com');
    const conv = await conversation(key, 'LEAVER SYSTEM', 'my private words');
    await server.trpc(key).generate.mutate({ model: MODEL, prompt: 'a one-off', maxTokens: 8 });
    await server.app.ledger.drain();

    const exported = await server.gql<{ exportUserData: Record<string, unknown> }>(`query($u: ID) { exportUserData(userId: $u) }`, { u: userId });
    expect(exported.errors).toBeUndefined();
    const data = exported.data!.exportUserData as { user: { email: string }; apiKeys: Array<Record<string, unknown>>; conversations: Array<{ id: string; system: string; messages: Array<{ content: string }> }>; usage: unknown[] };
    expect(data.user.email).toBe('leaver@example.com');
    expect(data.conversations.map((c) => c.id)).toEqual([conv]);
    expect(data.conversations[0]!.system).toBe('LEAVER SYSTEM');
    expect(data.conversations[0]!.messages[0]!.content).toBe('my private words');
    expect(data.usage.length).toBe(await prisma().usageRecord.count({ where: { userId } }));
    expect(data.apiKeys).toHaveLength(1);
    expect(Object.keys(data.apiKeys[0]!)).not.toContain('secretHash');
    const hash = (await prisma().apiKey.findFirstOrThrow({ where: { userId } })).secretHash;
    const text = JSON.stringify(data);
    expect(text).not.toContain(hash);
    expect(text).not.toContain(key);

    // the user's own: me.export (tRPC); another user's: NOT_FOUND; purge: admin only
    const own = (await server.trpc(key)['me.export'].query()) as { user: { email: string } };
    expect(own.user.email).toBe('leaver@example.com');
    const other = await createUserWithKey(server, 'other@example.com');
    expect((await trpcErrorData(server.trpc(other.key).admin.exportUserData.query({ userId }))).appCode).toBe('NOT_FOUND');
    expect((await trpcErrorData(server.trpc(other.key).admin.purgeUserData.mutate({ userId }))).appCode).toBe('FORBIDDEN');

    const [reportBefore, ledgerBefore] = [await report(), await ledger()];
    const purged = await server.gql<{ purgeUserData: Record<string, unknown> }>(`mutation($u: ID!) { purgeUserData(userId: $u) { userId messagesErased conversationsErased usageRecordsKept keysRevoked purgedAt } }`, { u: userId });
    expect(purged.errors).toBeUndefined();
    expect(purged.data!.purgeUserData).toMatchObject({ userId, messagesErased: 4, conversationsErased: 1, keysRevoked: 1, usageRecordsKept: ledgerBefore.filter((r) => r.userId === userId).length });

    expect(await ledger()).toEqual(ledgerBefore);
    expect(await report()).toEqual(reportBefore);
    expect(await prisma().usageRecord.count({ where: { userId, contentPurgedAt: null } })).toBe(0);
    const messages = await prisma().message.findMany({ where: { conversationId: conv } });
    expect(messages.every((m) => m.content === '' && m.images === null && m.contentPurgedAt !== null)).toBe(true);
    expect((await prisma().conversation.findUniqueOrThrow({ where: { id: conv } })).system).toBeNull();
    expect((await trpcErrorData(server.trpc(key).me.query())).appCode).toBe('UNAUTHENTICATED');
    // the other user's data is untouched
    expect(await prisma().apiKey.count({ where: { userId: other.userId, revokedAt: null } })).toBe(1);

    const after = (await server.trpc().admin.exportUserData.query({ userId })) as { conversations: Array<{ system: string | null; messages: Array<{ content: string }> }> };
    expect(JSON.stringify(after)).not.toContain('my private words');
    expect(after.conversations[0]!.messages.every((m) => m.content === '')).toBe(true);

    const audit = await prisma().auditEvent.findMany({ where: { targetId: userId, action: { in: ['purge', 'export'] } }, orderBy: { at: 'asc' } });
    expect(audit.map((e) => e.action)).toEqual(['export', 'export', 'purge', 'export']);
    expect(audit[1]!.actorUserId).toBe(userId);
  }, 60_000);
});
