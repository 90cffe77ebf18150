// Tools, images and JSON over chat and at the door: a tool loop across turns and across APIs
// (3 turns, Chat Completions then Messages), toolResults checks, images stored and replayed,
// MAX_IMAGE_BYTES, unsupported combinations refused before anything is stored or sent, and the
// JSON error codes that keep the raw text.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectTrpc, graphqlWs, trpcHttp } from '../helpers/clients.ts';
import { trpcErrorData } from '../helpers/errors.ts';
import { createUserWithKey, startTestServer, type TestServer } from '../helpers/server.ts';

let server: TestServer;
let key: string;
let userId: string;

beforeAll(async () => {
  server = await startTestServer();
  ({ key, userId } = await createUserWithKey(server, 'chat-tools@example.com'));
});
afterAll(() => server?.close());

const WEATHER_TOOL = { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } };
const sentBody = (id: string) => server.app.simulator!.requests.find((r) => r.headers['cf-aig-event-id'] === id)!.body as Record<string, unknown>;
const rows = () => server.app.db.prisma.usageRecord.count({ where: { userId } });
const conversations = () => server.app.db.prisma.conversation.count({ where: { userId } });

describe('a tool loop over chat', () => {
  it('3 turns with tool calls, switched from Chat Completions to Messages on turn 3, replay correctly', async () => {
    const trpc = trpcHttp(server.url, key);
    const t1 = await trpc.chat.mutate({ model: 'openai/gpt-5.5', message: 'use get_weather for Oslo', tools: [WEATHER_TOOL] });
    expect(t1.generation.api).toBe('CHAT_COMPLETIONS');
    expect(t1.generation.finishReason).toBe('tool_calls');
    expect(t1.assistantMessage.toolCalls).toEqual(t1.generation.toolCalls);
    const call = t1.generation.toolCalls[0]!;
    expect(JSON.parse(call.arguments)).toEqual({ city: 'use get_weather for Oslo' });

    const t2 = await trpc.chat.mutate({ model: 'openai/gpt-5.5', conversationId: t1.conversation.id, tools: [WEATHER_TOOL], toolResults: [{ toolCallId: call.id, content: 'rain, 7C' }] });
    expect(t2.generation.text).toBe('Echo: rain, 7C');
    expect(t2.userMessage).toMatchObject({ role: 'TOOL', toolCallId: call.id, content: 'rain, 7C' });
    expect(sentBody(t2.generation.id).messages).toEqual([
      { role: 'user', content: 'use get_weather for Oslo' },
      { role: 'assistant', content: null, tool_calls: [{ id: call.id, type: 'function', function: { name: 'get_weather', arguments: call.arguments } }] },
      { role: 'tool', tool_call_id: call.id, content: 'rain, 7C' },
    ]);

    const t3 = await trpc.chat.mutate({ model: 'anthropic/claude-sonnet-4-5', api: 'MESSAGES', conversationId: t1.conversation.id, tools: [WEATHER_TOOL], message: 'and tomorrow?' });
    expect(t3.generation.api).toBe('MESSAGES');
    expect(t3.generation.text).toBe('Echo: and tomorrow?');
    expect(sentBody(t3.generation.id).messages).toEqual([
      { role: 'user', content: 'use get_weather for Oslo' },
      { role: 'assistant', content: [{ type: 'tool_use', id: call.id, name: 'get_weather', input: { city: 'use get_weather for Oslo' } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: call.id, content: 'rain, 7C' }] },
      { role: 'assistant', content: 'Echo: rain, 7C' },
      { role: 'user', content: 'and tomorrow?' },
    ]);

    const res = await server.gql<{ conversation: { messages: Array<{ role: string; toolCalls: unknown[]; toolCallId: string | null }> } }>(
      'query($id: ID!) { conversation(id: $id) { messages { role toolCalls { id name arguments } toolCallId } } }',
      { id: t1.conversation.id },
      key,
    );
    expect(res.data!.conversation.messages).toEqual([
      { role: 'USER', toolCalls: [], toolCallId: null },
      { role: 'ASSISTANT', toolCalls: [call], toolCallId: null },
      { role: 'TOOL', toolCalls: [], toolCallId: call.id },
      { role: 'ASSISTANT', toolCalls: [], toolCallId: null },
      { role: 'USER', toolCalls: [], toolCallId: null },
      { role: 'ASSISTANT', toolCalls: [], toolCallId: null },
    ]);
  });

  it('a streamed turn (GraphQL WebSocket) stores the assembled tool calls; Responses replays them as items', async () => {
    const sub = `subscription($input: ChatInput!) { chatStream(input: $input) { __typename ... on ConversationStarted { conversation { id } }
      ... on ToolCallDelta { index id name argumentsDelta } ... on ChatTurnCompleted { turn { assistantMessage { toolCalls { id name arguments } } generation { toolCalls { id name arguments } } } } } }`;
    const { events, errors } = await graphqlWs<Record<string, never>>(server.url, key, sub, { input: { model: 'openai/gpt-5.5', message: 'get_weather in Lima', tools: [WEATHER_TOOL] } });
    expect(errors).toEqual([]);
    const completed = events.at(-1) as unknown as { turn: { assistantMessage: { toolCalls: Array<{ id: string; arguments: string }> }; generation: { toolCalls: unknown[] } } };
    const calls = completed.turn.assistantMessage.toolCalls;
    expect(calls).toHaveLength(1);
    expect(completed.turn.generation.toolCalls).toEqual(calls);
    const conversationId = (events[0] as unknown as { conversation: { id: string } }).conversation.id;
    const events2 = await collectTrpc<{ type: string; turn?: { generation: { id: string; text: string } } }>((h) =>
      trpcHttp(server.url, key).chatStream.subscribe({ model: 'openai/gpt-5.5', api: 'RESPONSES', conversationId, toolResults: [{ toolCallId: calls[0]!.id, content: 'warm' }] }, h),
    );
    const gen = events2.at(-1)!.turn!.generation;
    expect(gen.text).toBe('Echo: warm');
    expect(sentBody(gen.id).input).toEqual([
      { role: 'user', content: 'get_weather in Lima' },
      { type: 'function_call', call_id: calls[0]!.id, name: 'get_weather', arguments: calls[0]!.arguments },
      { type: 'function_call_output', call_id: calls[0]!.id, output: 'warm' },
    ]);
  });

  it('toolResults must answer exactly the open tool calls of an existing conversation (BAD_INPUT, nothing stored)', async () => {
    const trpc = trpcHttp(server.url, key);
    const t1 = await trpc.chat.mutate({ model: 'openai/gpt-5.5', message: 'get_weather please', tools: [WEATHER_TOOL] });
    const before = { rows: await rows(), messages: await server.app.db.prisma.message.count({ where: { conversationId: t1.conversation.id } }) };
    const wrong = await trpcErrorData(trpc.chat.mutate({ model: 'openai/gpt-5.5', conversationId: t1.conversation.id, toolResults: [{ toolCallId: 'call_nope', content: 'x' }] }));
    expect(wrong).toMatchObject({ appCode: 'BAD_INPUT', field: 'toolResults' });
    const noConversation = await trpcErrorData(trpc.chat.mutate({ model: 'openai/gpt-5.5', toolResults: [{ toolCallId: 'c', content: 'x' }] }));
    expect(noConversation).toMatchObject({ appCode: 'BAD_INPUT', field: 'toolResults' });
    const nothing = await trpcErrorData(trpc.chat.mutate({ model: 'openai/gpt-5.5', conversationId: t1.conversation.id }));
    expect(nothing).toMatchObject({ appCode: 'BAD_INPUT', field: 'message' });
    expect(await rows()).toBe(before.rows);
    expect(await server.app.db.prisma.message.count({ where: { conversationId: t1.conversation.id } })).toBe(before.messages);
  });
});

describe('images in chat', () => {
  it('are stored on the user message and replayed on the next turn', async () => {
    const data = Buffer.from('tiny-image-bytes').toString('base64');
    const trpc = trpcHttp(server.url, key);
    const t1 = await trpc.chat.mutate({ model: 'anthropic/claude-sonnet-4-5', message: 'what is this?', images: [{ data, mediaType: 'image/png' }] });
    expect(t1.generation.text).toBe('Echo: what is this? (images: 1, bytes: 16)');
    expect(t1.userMessage.images).toEqual([{ data, mediaType: 'image/png' }]);
    const t2 = await trpc.chat.mutate({ model: 'openai/gpt-5.5', conversationId: t1.conversation.id, message: 'and now?' });
    expect(t2.generation.text).toBe('Echo: and now? (images: 1, bytes: 16)');
    const first = (sentBody(t2.generation.id).messages as Array<{ content: unknown }>)[0]!;
    expect(first.content).toEqual([{ type: 'text', text: 'what is this?' }, { type: 'image_url', image_url: { url: `data:image/png;base64,${data}` } }]);
    const read = await server.gql<{ conversation: { messages: Array<{ images: unknown[] }> } }>('query($id: ID!) { conversation(id: $id) { messages { images { url data mediaType } } } }', { id: t1.conversation.id }, key);
    expect(read.data!.conversation.messages[0]!.images).toEqual([{ url: null, data, mediaType: 'image/png' }]);
  });

  it('an inline image over MAX_IMAGE_BYTES (default 524288, decoded) is BAD_INPUT naming it; nothing is stored', async () => {
    const before = { rows: await rows(), conversations: await conversations() };
    const big = Buffer.alloc(524_289, 1).toString('base64');
    const err = await trpcErrorData(trpcHttp(server.url, key).generate.mutate({ model: 'openai/gpt-5.5', messages: [{ role: 'USER', content: 'hi', images: [{ data: big, mediaType: 'image/png' }] }] }));
    expect(err).toMatchObject({ appCode: 'BAD_INPUT', field: 'messages.0.images.0.data' });
    const chat = await trpcErrorData(trpcHttp(server.url, key).chat.mutate({ model: 'openai/gpt-5.5', message: 'hi', images: [{ data: big, mediaType: 'image/png' }] }));
    expect(chat).toMatchObject({ appCode: 'BAD_INPUT', field: 'images.0.data' });
    const ok = Buffer.alloc(524_288, 1).toString('base64');
    const fits = await trpcHttp(server.url, key).generate.mutate({ model: 'openai/gpt-5.5', messages: [{ role: 'USER', content: 'hi', images: [{ data: ok, mediaType: 'image/png' }] }] });
    expect(fits.text).toBe('Echo: hi (images: 1, bytes: 524288)');
    expect(await rows()).toBe(before.rows + 1);
    expect(await conversations()).toBe(before.conversations);
  });
});

describe('at the door', () => {
  it('an unsupported combination is BAD_INPUT naming the feature and leaves no row, no message, no upstream request', async () => {
    const before = { rows: await rows(), conversations: await conversations(), upstream: server.app.simulator!.requests.length };
    const gql = await server.gql('mutation($input: GenerateInput!) { generate(input: $input) { id } }', { input: { model: 'openai/gpt-5.5', api: 'RESPONSES', prompt: 'hi', stop: ['END'] } }, key);
    expect(gql.errors![0]!.extensions).toMatchObject({ code: 'BAD_INPUT', field: 'stop' });
    const trpc = await trpcErrorData(trpcHttp(server.url, key).generate.mutate({ model: 'openai/gpt-5.5', api: 'RESPONSES', prompt: 'hi', stop: ['END'] }));
    expect(trpc).toMatchObject({ appCode: 'BAD_INPUT', field: 'stop' });
    const thinkingJson = await trpcErrorData(
      trpcHttp(server.url, key).chat.mutate({ model: 'anthropic/claude-sonnet-4-5', message: 'hi', reasoningEffort: 'HIGH', responseFormat: { type: 'JSON_OBJECT' } }),
    );
    expect(thinkingJson).toMatchObject({ appCode: 'BAD_INPUT', field: 'reasoningEffort' });
    const stream = await graphqlWs(server.url, key, 'subscription($input: GenerateInput!) { generateStream(input: $input) { __typename } }', {
      input: { model: 'anthropic/claude-sonnet-4-5', prompt: 'hi', reasoningEffort: 'LOW', maxTokens: 500 },
    });
    expect(stream.errors[0]).toMatchObject({ extensions: { code: 'BAD_INPUT', field: 'maxTokens' } });
    expect(await rows()).toBe(before.rows);
    expect(await conversations()).toBe(before.conversations);
    expect(server.app.simulator!.requests.length).toBe(before.upstream);
  });

  it('bad tool, schema and message inputs are BAD_INPUT with the field', async () => {
    const trpc = trpcHttp(server.url, key);
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ prompt: 'x', tools: [WEATHER_TOOL], toolChoice: { mode: 'TOOL', name: 'other' } }, 'toolChoice.name'],
      [{ prompt: 'x', tools: [{ name: 'bad name!', parameters: {} }] }, 'tools.0.name'],
      [{ prompt: 'x', responseFormat: { type: 'JSON_SCHEMA', schema: { type: 'nonsense' } } }, 'responseFormat.schema'],
      [{ prompt: 'x', responseFormat: { type: 'JSON_SCHEMA' } }, 'responseFormat.schema'],
      [{ messages: [{ role: 'USER', content: 'x' }, { role: 'TOOL', content: 'r', toolCallId: 'nope' }] }, 'messages.1.toolCallId'],
      [{ messages: [{ role: 'USER', content: 'x' }, { role: 'ASSISTANT', content: '', toolCalls: [{ id: 'c', name: 'f', arguments: 'not json' }] }] }, 'messages.1.toolCalls.0.arguments'],
      [{ messages: [{ role: 'USER', content: 'x', images: [{ url: 'ftp://example.com/a.png' }] }] }, 'messages.0.images.0.url'],
      [{ prompt: 'x', topP: 1.5 }, 'topP'],
    ];
    for (const [input, field] of cases) {
      expect(await trpcErrorData(trpc.generate.mutate({ model: 'openai/gpt-5.5', ...input } as never)), JSON.stringify(input)).toMatchObject({ appCode: 'BAD_INPUT', field });
    }
  });
});

describe('JSON output that fails', () => {
  it('keeps the raw text and says why: JSON_PARSE_FAILED, JSON_SCHEMA_MISMATCH', async () => {
    const trpc = trpcHttp(server.url, key);
    const schema = { type: 'object', properties: { summary: { type: 'string', minLength: 1000 } }, required: ['summary'] };
    const broken = await trpc.generate.mutate({ model: 'openai/gpt-5.5', prompt: 'facts [[json:invalid]]', responseFormat: { type: 'JSON_SCHEMA', schema } });
    expect(broken.json).toBeNull();
    expect(broken.jsonError?.code).toBe('JSON_PARSE_FAILED');
    expect(broken.text).toBe('{"summary'); // {"summary":"facts"} cut in half by [[json:invalid]]
    const mismatch = await trpc.generate.mutate({ model: 'anthropic/claude-sonnet-4-5', prompt: 'short facts', responseFormat: { type: 'JSON_SCHEMA', schema } });
    expect(mismatch.json).toBeNull();
    expect(mismatch.jsonError).toMatchObject({ code: 'JSON_SCHEMA_MISMATCH' });
    expect(mismatch.jsonError!.message).toMatch(/summary/);
    expect(JSON.parse(mismatch.text)).toEqual({ summary: 'short facts' });
    const object = await trpc.generate.mutate({ model: '@cf/moonshotai/kimi-k2.6', prompt: 'any object', responseFormat: { type: 'JSON_OBJECT' } });
    expect(object).toMatchObject({ json: { echo: 'any object' }, jsonError: null });
  });
});
