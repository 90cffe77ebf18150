// Conversations: history replay, order, titles, pagination, isolation between users.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectTrpc, trpcHttp } from '../helpers/clients.ts';
import { createUserWithKey, startTestServer, type TestServer } from '../helpers/server.ts';
import { trpcCode } from '../helpers/errors.ts';

let server: TestServer;
let alice: { userId: string; key: string };
let bob: { userId: string; key: string };

beforeAll(async () => {
  server = await startTestServer();
  alice = await createUserWithKey(server, 'alice@example.com');
  bob = await createUserWithKey(server, 'bob@example.com');
});
afterAll(async () => {
  await server?.close();
});

describe('history replay', () => {
  it.each(['anthropic/claude-sonnet-4-5', 'openai/gpt-5.5'])('the second turn sends the first turn and its system prompt upstream, in order (%s)', async (model) => {
    const client = trpcHttp(server.url, alice.key);
    const first = await client.chat.mutate({ model, message: 'My name is Ada', system: 'Be brief' });
    const second = await client.chat.mutate({ model, conversationId: first.conversation.id, message: 'What is my name?' });
    expect(second.conversation.id).toBe(first.conversation.id);

    const sent = server.app.simulator!.requests.find((r) => r.headers['cf-aig-event-id'] === second.generation.id)!;
    const body = sent.body as { messages: Array<{ role: string; content: unknown }>; system?: unknown };
    const texts = body.messages.map((m) => [m.role, typeof m.content === 'string' ? m.content : JSON.stringify(m.content)]);
    // The first turn's system prompt rides along: Anthropic Messages in `system`, Chat Completions as the first message.
    const turns = model.startsWith('anthropic/') ? texts : texts.slice(1);
    if (model.startsWith('anthropic/')) expect(JSON.stringify(body.system)).toContain('Be brief');
    else expect(texts[0]).toEqual(['system', 'Be brief']);
    expect(turns.map(([role]) => role)).toEqual(['user', 'assistant', 'user']);
    expect(turns[0]![1]).toContain('My name is Ada');
    expect(turns[1]![1]).toContain('Echo: My name is Ada');
    expect(turns[2]![1]).toContain('What is my name?');

    const conversation = await client.conversations.get.query({ id: first.conversation.id });
    expect(conversation.messages.map((m) => [m.position, m.role, m.content, m.status])).toEqual([
      [0, 'USER', 'My name is Ada', 'COMPLETE'],
      [1, 'ASSISTANT', 'Echo: My name is Ada', 'COMPLETE'],
      [2, 'USER', 'What is my name?', 'COMPLETE'],
      [3, 'ASSISTANT', 'Echo: What is my name?', 'COMPLETE'],
    ]);
    expect(conversation.messages[1]!.generationId).toBe(first.generation.id);
    expect(conversation.title).toBe('My name is Ada');
    expect(conversation.system).toBe('Be brief');
  });

  it("a later turn's system prompt replaces the conversation's", async () => {
    const client = trpcHttp(server.url, alice.key);
    const model = 'openai/gpt-5.5';
    const first = await client.chat.mutate({ model, message: 'hello', system: 'Answer in English' });
    await client.chat.mutate({ model, conversationId: first.conversation.id, message: 'again', system: 'Answer in French' });
    const third = await client.chat.mutate({ model, conversationId: first.conversation.id, message: 'and again' });
    const sent = server.app.simulator!.requests.find((r) => r.headers['cf-aig-event-id'] === third.generation.id)!;
    const messages = (sent.body as { messages: Array<{ role: string; content: unknown }> }).messages;
    expect(messages.filter((m) => m.role === 'system').map((m) => m.content)).toEqual(['Answer in French']);
    expect((await client.conversations.get.query({ id: first.conversation.id })).system).toBe('Answer in French');
  });

  it('conversation(id) over GraphQL returns the messages in order', async () => {
    const client = trpcHttp(server.url, alice.key);
    const turn = await client.chat.mutate({ model: '@cf/moonshotai/kimi-k2.6', message: 'one' });
    await client.chat.mutate({ model: '@cf/moonshotai/kimi-k2.6', conversationId: turn.conversation.id, message: 'two' });
    const res = await server.gql<{ conversation: { messages: Array<{ role: string; content: string; position: number }> } }>(
      'query($id: ID!) { conversation(id: $id) { id title model messages { role content position status } } }',
      { id: turn.conversation.id },
      alice.key,
    );
    expect(res.data!.conversation.messages.map((m) => `${m.role}:${m.content}`)).toEqual(['USER:one', 'ASSISTANT:Echo: one', 'USER:two', 'ASSISTANT:Echo: two']);
  });

  it('a long first message gives a short title', async () => {
    const message = 'Please summarise the following very long report about quarterly results across every region and product line';
    const turn = await trpcHttp(server.url, alice.key).chat.mutate({ model: 'openai/gpt-5.5', message });
    expect(turn.conversation.title.length).toBeLessThanOrEqual(61);
    expect(message.startsWith(turn.conversation.title.replace(/…$/, ''))).toBe(true);
  });
});

describe('pagination', () => {
  it('conversations pages with a cursor, newest first, without gaps or repeats', async () => {
    const { key } = await createUserWithKey(server, 'pager@example.com');
    const client = trpcHttp(server.url, key);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await client.chat.mutate({ model: '@cf/x/y', message: `conversation ${i}` })).conversation.id);
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const res: { data?: { conversations: { edges: Array<{ cursor: string; node: { id: string } }>; pageInfo: { hasNextPage: boolean; endCursor: string | null } } } | null } = await server.gql(
        'query($after: String) { conversations(first: 2, after: $after) { edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }',
        { after },
        key,
      );
      const page = res.data!.conversations;
      seen.push(...page.edges.map((e) => e.node.id));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(seen).toEqual([...ids].reverse());
    const viaTrpc = await client.conversations.list.query({ first: 10 });
    expect(viaTrpc.nodes.map((n) => n.id)).toEqual([...ids].reverse());
    // GraphQL's shape on tRPC too: edges (with the same cursors) and pageInfo
    const twoTrpc = await client.conversations.list.query({ first: 2 });
    const twoGql = await server.gql<{ conversations: { edges: Array<{ cursor: string; node: { id: string } }>; pageInfo: { hasNextPage: boolean; endCursor: string } } }>(
      '{ conversations(first: 2) { edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }',
      {},
      key,
    );
    expect(twoTrpc.edges.map((e) => [e.cursor, e.node.id])).toEqual(twoGql.data!.conversations.edges.map((e) => [e.cursor, e.node.id]));
    expect(twoTrpc.pageInfo).toEqual(twoGql.data!.conversations.pageInfo);
    const bad = await server.gql('{ conversations(after: "nonsense") { pageInfo { hasNextPage } } }', {}, key);
    expect(bad.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_INPUT', field: 'after' });
  });
});

describe('isolation', () => {
  it("user B gets NOT_FOUND for A's conversation on read, chat and delete, over both APIs", async () => {
    const turn = await trpcHttp(server.url, alice.key).chat.mutate({ model: 'openai/gpt-5.5', message: 'secret plans' });
    const id = turn.conversation.id;
    const bobClient = trpcHttp(server.url, bob.key);
    expect(await trpcCode(bobClient.conversations.get.query({ id }))).toBe('NOT_FOUND');
    expect(await trpcCode(bobClient.conversations.delete.mutate({ id }))).toBe('NOT_FOUND');
    expect(await trpcCode(bobClient.chat.mutate({ model: 'openai/gpt-5.5', conversationId: id, message: 'hi' }))).toBe('NOT_FOUND');
    const missing = await trpcCode(bobClient.conversations.get.query({ id: '01a20000-0000-7000-8000-000000000000' }));
    expect(missing).toBe('NOT_FOUND');

    const read = await server.gql('query($id: ID!) { conversation(id: $id) { id messages { content } } }', { id }, bob.key);
    expect(read.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect(JSON.stringify(read)).not.toContain('secret plans');
    const del = await server.gql('mutation($id: ID!) { deleteConversation(id: $id) }', { id }, bob.key);
    expect(del.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const list = await bobClient.conversations.list.query({});
    expect(list.nodes.map((n) => n.id)).not.toContain(id);

    // still there for its owner, who can delete it
    expect((await trpcHttp(server.url, alice.key).conversations.get.query({ id })).messages).toHaveLength(2);
    const ownDelete = await server.gql<{ deleteConversation: boolean }>('mutation($id: ID!) { deleteConversation(id: $id) }', { id }, alice.key);
    expect(ownDelete.data?.deleteConversation).toBe(true);
    expect(await trpcCode(trpcHttp(server.url, alice.key).conversations.get.query({ id }))).toBe('NOT_FOUND');
  });
});

describe('a conversation deleted while its turn runs', () => {
  it.each(['mutation', 'stream'])('the turn (%s) answers NOT_FOUND, never INTERNAL, and its call keeps its ledger row', async (how) => {
    const client = trpcHttp(server.url, alice.key);
    const model = 'openai/gpt-5.5';
    const first = await client.chat.mutate({ model, message: 'keep this' });
    const id = first.conversation.id;
    // The upstream answers after 400 ms; the conversation is deleted while it waits.
    const message = `deleted mid-turn ${how} [[fault:slow_first_byte:400]]`;
    const sim = server.app.simulator!;
    const input = { model, conversationId: id, message };
    const turn = how === 'mutation' ? client.chat.mutate(input) : collectTrpc((handlers) => client.chatStream.subscribe(input, handlers));
    const code = trpcCode(turn);
    const deadline = Date.now() + 10_000;
    while (!sim.requests.some((r) => JSON.stringify(r.body).includes(message)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    const sent = sim.requests.find((r) => JSON.stringify(r.body).includes(message));
    expect(sent, 'the turn reached the upstream').toBeDefined();
    await client.conversations.delete.mutate({ id });
    expect(await code).toBe('NOT_FOUND');
    const row = await server.app.db.prisma.usageRecord.findUnique({ where: { id: sent!.headers['cf-aig-event-id'] as string } });
    expect(row?.status).toBe('OK');
  });
});

describe('ids that are not ours', () => {
  it.each(['does-not-exist', '12345', '00000000-0000-0000-0000-000000000000'])('%s is NOT_FOUND everywhere, never BAD_INPUT', async (id) => {
    const client = trpcHttp(server.url, alice.key);
    expect(await trpcCode(client.conversations.get.query({ id }))).toBe('NOT_FOUND');
    expect(await trpcCode(client.conversations.delete.mutate({ id }))).toBe('NOT_FOUND');
    expect(await trpcCode(client.chat.mutate({ model: 'openai/gpt-5.5', conversationId: id, message: 'hi' }))).toBe('NOT_FOUND');
    expect(await trpcCode(client.apiKeys.revoke.mutate({ id }))).toBe('NOT_FOUND');
    const res = await server.gql('query($id: ID!) { conversation(id: $id) { id } }', { id }, alice.key);
    expect(res.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });
});
