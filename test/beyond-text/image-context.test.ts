// Images count toward the context cap (MAX_CONTEXT_TOKENS): each is estimated at ~1,600 input
// tokens (IMAGE_TOKEN_ESTIMATE), whatever its size in bytes. With a cap of 4,000 tokens, a chat
// turn with two small images fits and one with three is BAD_INPUT before anything is stored or
// sent; a conversation's earlier images are dropped from the replay, oldest turns first, to fit.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trpcErrorData } from '../helpers/errors.ts';
import { createUserWithKey, startTestServer, type TestServer } from '../helpers/server.ts';

const MODEL = 'openai/gpt-5.5';
// 16 bytes each: as text, the images of a turn are a few dozen characters (~10 tokens).
const image = (n: number) => ({ data: Buffer.from(`tiny-image-${String(n).padStart(5, '0')}`).toString('base64'), mediaType: 'image/png' as const });

let server: TestServer;
let key: string;
let userId: string;
beforeAll(async () => {
  server = await startTestServer({ MAX_CONTEXT_TOKENS: '4000' });
  ({ key, userId } = await createUserWithKey(server, 'image-context@example.com'));
});
afterAll(() => server?.close());

const upstream = () => server.app.simulator!.requests.filter((r) => r.method === 'POST');
const stored = async () => ({
  rows: await server.app.db.prisma.usageRecord.count({ where: { userId } }),
  conversations: await server.app.db.prisma.conversation.count({ where: { userId } }),
  messages: await server.app.db.prisma.message.count({ where: { conversation: { userId } } }),
});
/** The images of each message of an upstream Chat Completions body. */
const imagesPerMessage = (body: unknown) =>
  (body as { messages: Array<{ content: unknown }> }).messages.map((m) => (Array.isArray(m.content) ? m.content.filter((p: { type: string }) => p.type === 'image_url').length : 0));

describe('images and the context cap (MAX_CONTEXT_TOKENS 4000)', () => {
  it('a turn whose images exceed the cap is BAD_INPUT (field message) over tRPC and GraphQL; nothing stored, nothing upstream', async () => {
    const before = { ...(await stored()), upstream: upstream().length };
    // Three images: ~4,800 tokens of images and ~10 of text.
    const viaTrpc = await trpcErrorData(server.trpc(key).chat.mutate({ model: MODEL, message: 'what is in these?', images: [image(1), image(2), image(3)] }));
    expect(viaTrpc).toMatchObject({ appCode: 'BAD_INPUT', field: 'message' });
    const viaGql = await server.gql(
      'mutation($i: ChatInput!) { chat(input: $i) { generation { id } } }',
      { i: { model: MODEL, message: 'what is in these?', images: [image(1), image(2), image(3)] } },
      key,
    );
    expect(viaGql.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_INPUT', field: 'message' });
    expect(viaGql.errors?.[0]?.message).toMatch(/MAX_CONTEXT_TOKENS/);
    expect({ ...(await stored()), upstream: upstream().length }).toEqual(before);

    // The same words with two images fit (so the third image, not the text, is what did not).
    const fits = await server.trpc(key).chat.mutate({ model: MODEL, message: 'what is in these?', images: [image(1), image(2)] });
    expect(fits.generation.text).toBe('Echo: what is in these? (images: 2, bytes: 32)');
    expect(upstream()).toHaveLength(before.upstream + 1);
  });

  it("a conversation's earlier images are dropped from the replay to stay under the cap, oldest turn first", async () => {
    const trpc = server.trpc(key);
    // Turn 1: two images (~3,200 tokens), alone in its request.
    const t1 = await trpc.chat.mutate({ model: MODEL, message: 'first two pictures', images: [image(4), image(5)] });
    expect(t1.generation.text).toBe('Echo: first two pictures (images: 2, bytes: 32)');
    const conversationId = t1.conversation.id;
    // Turn 2: one more image (~1,600): with turn 1's two it would need ~4,800, so turn 1 is left out.
    const t2 = await trpc.chat.mutate({ model: MODEL, conversationId, message: 'one more picture', images: [image(6)] });
    expect(t2.generation.text).toBe('Echo: one more picture (images: 1, bytes: 16)');
    expect(imagesPerMessage(upstream().at(-1)!.body)).toEqual([1]);
    // Turn 3, text only: turn 2 (one image) is replayed, turn 1 (two more) still does not fit.
    const t3 = await trpc.chat.mutate({ model: MODEL, conversationId, message: 'and now?' });
    expect(t3.generation.text).toBe('Echo: and now? (images: 1, bytes: 16)');
    const sent = upstream().at(-1)!.body as { messages: Array<{ role: string }> };
    expect(sent.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
    expect(imagesPerMessage(sent)).toEqual([1, 0, 0]);
    // Every image is still stored: only the replay is bounded.
    const conversation = await trpc.conversations.get.query({ id: conversationId });
    expect(conversation.messages.map((m) => m.images.length)).toEqual([2, 0, 1, 0, 0, 0]);
  });
});
