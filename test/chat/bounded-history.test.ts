// A turn reads only the newest messages that can fit MAX_CONTEXT_TOKENS, newest first: the same
// replay as reading the whole conversation (property), from a bounded number of rows, and a
// real 40,000-message conversation whose turn replays only its newest messages.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatMessage } from '../../src/upstream/call-vocabulary.ts';
import { fitReplay, messageTokens } from '../../src/domain/chat/context-window.ts';
import type { MessageRole, MessageStatus, MessageView } from '../../src/domain/chat/conversation-view.ts';
import { openToolCalls, replayHistory, toolResultMessages } from '../../src/domain/chat/history-replay.ts';
import { recentHistory } from '../../src/domain/chat/recent-history.ts';
import { createUserWithKey, startTestServer, type TestServer } from '../helpers/server.ts';

const policy = { maxTokens: 2_000, maxBodyBytes: 1_048_576 };
const MODEL = 'openai/gpt-5.5';

/** An in-memory store of one conversation that counts the rows it hands out. */
function memoryStore(all: MessageView[]) {
  const store = {
    rowsRead: 0,
    async replayableBefore(_id: string, before: number | undefined, take: number): Promise<MessageView[]> {
      const rows = all
        .filter((m) => m.status !== 'FAILED' && m.status !== 'INTERRUPTED' && m.role !== 'SYSTEM' && (before === undefined || m.position < before))
        .reverse()
        .slice(0, take);
      store.rowsRead += rows.length;
      return rows;
    },
  };
  return store;
}

const arbMessage = fc.record({
  role: fc.constantFrom<MessageRole>('USER', 'USER', 'ASSISTANT', 'ASSISTANT', 'TOOL'),
  chars: fc.integer({ min: 0, max: 600 }),
  status: fc.constantFrom<MessageStatus>('COMPLETE', 'COMPLETE', 'COMPLETE', 'PARTIAL', 'FAILED', 'INTERRUPTED'),
  call: fc.integer({ min: 0, max: 5 }),
  calls: fc.integer({ min: 0, max: 2 }),
});

interface Spec {
  role: MessageRole;
  chars: number;
  status: MessageStatus;
  call: number;
  calls: number;
}

function conversation(specs: Spec[]): MessageView[] {
  return specs.map((s, position) => ({
    id: `m${position}`,
    conversationId: 'c',
    position,
    role: s.role,
    content: 'x'.repeat(s.chars),
    status: s.status,
    toolCalls: s.role === 'ASSISTANT' ? Array.from({ length: s.calls }, (_, i) => ({ id: `call_${s.call + i}`, name: 'f', arguments: '{"a":' + 'y'.repeat(s.chars) + '}' })) : [],
    toolCallId: s.role === 'TOOL' ? `call_${s.call}` : null,
    images: [],
    generationId: null,
    createdAt: new Date(0),
  }));
}

const replayOf = (history: MessageView[], turn: ChatMessage[]) => fitReplay(replayHistory(history, turn), turn.length, 'be brief', MODEL, policy);

describe('recentHistory (pure)', () => {
  it('replays exactly what reading the whole conversation would, and reads a bounded number of rows', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(arbMessage, { maxLength: 300 }), fc.integer({ min: 1, max: 400 }), async (specs, turnChars) => {
        const all = conversation(specs);
        const turn: ChatMessage[] = [{ role: 'user', content: 'z'.repeat(turnChars) }];
        const store = memoryStore(all);
        const window = await recentHistory(store, 'c', { policy, model: MODEL });
        expect(replayOf(window, turn)).toEqual(replayOf(all, turn));
        // Rows read: every one of them is needed but for the last page read (pages double from
        // 64) and the non-user messages right before the oldest user message read.
        const kept = replayOf(all, turn).length;
        expect(store.rowsRead).toBeLessThanOrEqual(Math.max(64, 3 * (kept + 64)));
      }),
      { numRuns: 100 },
    );
  });

  it('a conversation of 40,000 short messages: one turn reads about what fits, not 40,000 rows', async () => {
    const specs = Array.from({ length: 40_000 }, (_, i) => ({ role: (i % 2 === 0 ? 'USER' : 'ASSISTANT') as MessageRole, chars: 40, status: 'COMPLETE' as MessageStatus, call: 0, calls: 0 }));
    const all = conversation(specs);
    const store = memoryStore(all);
    const window = await recentHistory(store, 'c', { policy, model: MODEL });
    const fits = Math.ceil(policy.maxTokens / messageTokens({ role: 'user', content: 'x'.repeat(40) }));
    expect(store.rowsRead).toBeLessThan(4 * fits + 64);
    expect(window.at(-1)!.position).toBe(39_999);
  });

  it('tool results of this turn: the window reaches the assistant message that made the calls', async () => {
    const specs = [
      { role: 'USER' as MessageRole, chars: 10, status: 'COMPLETE' as MessageStatus, call: 0, calls: 0 },
      { role: 'ASSISTANT' as MessageRole, chars: 0, status: 'COMPLETE' as MessageStatus, call: 7, calls: 1 },
      ...Array.from({ length: 300 }, () => ({ role: 'USER' as MessageRole, chars: 5, status: 'FAILED' as MessageStatus, call: 0, calls: 0 })),
    ];
    const all = conversation(specs);
    const results = toolResultMessages(openToolCalls(all), [{ toolCallId: 'call_7', content: 'sunny' }]);
    const window = await recentHistory(memoryStore(all), 'c', { policy, model: MODEL, reach: 1 });
    expect(replayOf(window, results)).toEqual(replayOf(all, results));
    expect(replayOf(window, results).map((m) => m.role)).toEqual(['user', 'assistant', 'tool']);
  });
});

describe('a real 40,000-message conversation', () => {
  let server: TestServer;
  let user: { userId: string; key: string };
  beforeAll(async () => {
    server = await startTestServer({ MAX_CONTEXT_TOKENS: '4000' });
    user = await createUserWithKey(server, 'long@example.com');
  });
  afterAll(async () => {
    await server?.close();
  });

  it('a turn replays only its newest messages, in order, within MAX_CONTEXT_TOKENS', async () => {
    const client = server.trpc(user.key);
    const first = await client.chat.mutate({ model: MODEL, message: 'start' });
    const id = first.conversation.id;
    // 40,000 more messages, alternating user and assistant, inserted directly.
    await server.app.db.prisma.$executeRawUnsafe(
      `INSERT INTO "Message" ("id", "conversationId", "position", "role", "content", "status")
       SELECT gen_random_uuid(), $1::uuid, 2 + g, (CASE WHEN g % 2 = 0 THEN 'USER' ELSE 'ASSISTANT' END)::"MessageRole", 'message ' || g, 'COMPLETE'::"MessageStatus"
       FROM generate_series(0, 39999) g`,
      id,
    );
    const sim = server.app.simulator!;
    const turn = await client.chat.mutate({ model: MODEL, conversationId: id, message: 'and now?' });
    expect(turn.userMessage.position).toBe(40_002);
    const sent = (sim.requests.at(-1)!.body as { messages: Array<{ role: string; content: string }> }).messages;
    expect(sent.at(-1)!.content).toBe('and now?');
    expect(sent.at(-2)!.content).toBe('message 39999');
    expect(sent.length).toBeGreaterThan(100);
    expect(sent.length).toBeLessThan(1_000);
    expect(sent[0]!.role).toBe('user');
    const tokens = sent.reduce((n, m) => n + messageTokens({ role: 'user', content: m.content }), 0);
    expect(tokens).toBeLessThanOrEqual(4_000);
  });
});
