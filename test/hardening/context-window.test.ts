// Bounded conversations: replay capped by MAX_CONTEXT_TOKENS (oldest turns dropped, system kept),
// the replayed body within MAX_BODY_BYTES, a turn that cannot fit is BAD_INPUT.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatMessage } from '../../src/upstream/call-vocabulary.ts';
import { fitHistory, messageTokens } from '../../src/domain/chat/context-window.ts';
import { estimateInputTokens } from '../../src/domain/generation/call-runner.ts';
import { AppError } from '../../src/platform/errors.ts';
import { trpcErrorData } from '../helpers/errors.ts';
import { createUserWithKey, startTestServer, type TestServer } from '../helpers/server.ts';

const policy = { maxTokens: 1_000, maxBodyBytes: 1_048_576 };
const msg = (role: ChatMessage['role'], chars: number, tag = ''): ChatMessage => ({ role, content: tag + 'x'.repeat(Math.max(0, chars - tag.length)) });
const estimateTokens = (text: string) => messageTokens({ role: 'user', content: text });
/** The policy's count: the turn with the system prompt, plus each history message on its own. */
const total = (history: ChatMessage[], turn: ChatMessage, system?: string) =>
  history.reduce((n, m) => n + messageTokens(m), estimateInputTokens({ system, messages: [turn] }));

describe('fitHistory (pure)', () => {
  it('keeps the newest turns that fit, starting at a user message, and never exceeds the budget', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 900 }), { maxLength: 40 }), fc.integer({ min: 0, max: 1_500 }), fc.integer({ min: 0, max: 1_500 }), (sizes, turnChars, systemChars) => {
        const history = sizes.map((n, i) => msg(i % 2 === 0 ? 'user' : 'assistant', n, `#${i}`));
        const turn = msg('user', turnChars);
        const system = systemChars > 0 ? 'y'.repeat(systemChars) : undefined;
        let kept: ChatMessage[];
        try {
          kept = fitHistory(history, turn, system, 'openai/gpt-5.5', policy);
        } catch (error) {
          expect(error).toBeInstanceOf(AppError);
          expect((error as AppError).code).toBe('BAD_INPUT');
          expect(total([], turn, system)).toBeGreaterThan(policy.maxTokens);
          return;
        }
        expect(total(kept, turn, system)).toBeLessThanOrEqual(policy.maxTokens);
        // a suffix of the history (oldest dropped), starting with a user message
        expect(kept).toEqual(history.slice(history.length - kept.length));
        if (kept.length > 0) expect(kept[0]!.role).toBe('user');
        // maximal: the message before the kept suffix would not have fit (or is an assistant one)
        const before = history[history.length - kept.length - 1];
        if (before && before.role === 'user') expect(total([before, ...kept], turn, system)).toBeGreaterThan(policy.maxTokens);
      }),
    );
  });

  it('per-model caps only lower the limit; bytes count against MAX_BODY_BYTES', () => {
    const history = [msg('user', 2_000), msg('assistant', 2_000)];
    expect(fitHistory(history, msg('user', 10), undefined, 'anthropic/x', { ...policy, maxTokens: 10_000, perModel: { 'anthropic/': 600 } })).toEqual([]);
    expect(fitHistory(history, msg('user', 10), undefined, 'openai/x', { ...policy, maxTokens: 10_000, perModel: { 'openai/': 1_000_000 } })).toHaveLength(2);
    expect(fitHistory(history, msg('user', 10), undefined, 'openai/x', { maxTokens: 10_000, maxBodyBytes: 4_096 + 2_100 })).toEqual([]);
  });
});

describe('a real conversation', () => {
  let server: TestServer;
  let user: { userId: string; key: string };
  beforeAll(async () => {
    server = await startTestServer({ MAX_MESSAGE_BYTES: '100000' });
    user = await createUserWithKey(server, 'context@example.com');
  });
  afterAll(async () => {
    await server?.close();
  });

  it('a 60-turn conversation of 90 KB turns replays within MAX_CONTEXT_TOKENS; the upstream body stays under the cap', async () => {
    const client = server.trpc(user.key);
    const sim = server.app.simulator!;
    let conversationId: string | undefined;
    const system = 'You are terse.';
    for (let turn = 0; turn < 60; turn++) {
      const message = `turn ${turn} ` + 'm'.repeat(90_000);
      const result = await client.chat.mutate({ model: 'openai/gpt-5.5', message, system, ...(conversationId && { conversationId }) });
      conversationId = result.conversation.id;
      const request = sim.requests.at(-1)!;
      const body = JSON.stringify(request.body);
      expect(Buffer.byteLength(body)).toBeLessThan(server.app.env.MAX_BODY_BYTES);
      const messages = (request.body as { messages: Array<{ role: string; content: string }> }).messages;
      const tokens = messages.reduce((n, m) => n + estimateTokens(m.content), 0);
      expect(tokens).toBeLessThanOrEqual(100_000);
      // the system prompt and this turn are always there; the oldest turns are the ones dropped
      expect(messages[0]).toEqual({ role: 'system', content: system });
      expect(messages.at(-1)!.content).toBe(message);
      if (turn >= 3) expect(messages.some((m) => m.content.startsWith('turn 0 '))).toBe(false);
      expect(messages.some((m) => m.content.startsWith(`turn ${turn - 1} `))).toBe(turn > 0);
    }
    // every message is still stored: only the replay is bounded
    const stored = await client.conversations.get.query({ id: conversationId! });
    expect(stored.messages).toHaveLength(120);
  }, 600_000);

  it('a turn that cannot fit is BAD_INPUT and stores nothing', async () => {
    const small = await startTestServer({ MAX_CONTEXT_TOKENS: '1000' });
    try {
      const u = await createUserWithKey(small, 'small@example.com');
      const error = await trpcErrorData(small.trpc(u.key).chat.mutate({ model: 'openai/gpt-5.5', message: 'z'.repeat(8_000) }));
      expect(error.appCode).toBe('BAD_INPUT');
      expect(error.field).toBe('message');
      expect(await small.app.db.prisma.conversation.count()).toBe(0);
      expect(small.app.simulator!.requests).toHaveLength(0);
    } finally {
      await small.close();
    }
  }, 120_000);

  it('a generate over MAX_CONTEXT_TOKENS (or its model\'s lower cap) is BAD_INPUT naming prompt or messages: no reservation, no row, nothing upstream', async () => {
    const small = await startTestServer({ MAX_CONTEXT_TOKENS: '1000', MODEL_CONTEXT_TOKENS: JSON.stringify({ 'anthropic/': 100 }) });
    try {
      const u = await createUserWithKey(small, 'small-generate@example.com');
      const trpc = small.trpc(u.key);
      // ~2,000 tokens as a prompt, as messages, and streamed
      const prompt = await trpcErrorData(trpc.generate.mutate({ model: 'openai/gpt-5.5', prompt: 'z'.repeat(8_000) }));
      expect(prompt).toMatchObject({ appCode: 'BAD_INPUT', field: 'prompt' });
      const messages = await trpcErrorData(trpc.generate.mutate({ model: 'openai/gpt-5.5', messages: [{ role: 'user', content: 'y'.repeat(4_000) }, { role: 'user', content: 'y'.repeat(4_000) }] }));
      expect(messages).toMatchObject({ appCode: 'BAD_INPUT', field: 'messages' });
      const graphql = await small.gql('mutation($i: GenerateInput!) { generate(input: $i) { id } }', { i: { model: 'openai/gpt-5.5', prompt: 'x'.repeat(8_000) } }, u.key);
      expect(graphql.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_INPUT', field: 'prompt' });
      // the per-model cap lowers it: 800 characters fit 1,000 tokens but not anthropic/'s 100
      expect((await trpc.generate.mutate({ model: 'openai/gpt-5.5', prompt: 'w'.repeat(800) })).text).toContain('Echo:');
      expect(await trpcErrorData(trpc.generate.mutate({ model: 'anthropic/claude-sonnet-4-5', prompt: 'w'.repeat(800) }))).toMatchObject({ appCode: 'BAD_INPUT', field: 'prompt' });
      // only the one call that fitted went upstream and left a row
      expect(small.app.simulator!.requests).toHaveLength(1);
      await small.app.ledger.drain();
      expect(await small.app.db.prisma.usageRecord.count()).toBe(1);
    } finally {
      await small.close();
    }
  }, 120_000);
});
