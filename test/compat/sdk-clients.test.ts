// The drop-in surfaces with the official clients: `openai` (chat, chat streaming, responses,
// responses streaming, models), `@anthropic-ai/sdk` (messages, streaming, tools) and the Vercel AI
// SDK through @ai-sdk/openai, pointed at the server with a user's Switchboard key. Each reply is
// the simulator's own (the same client pointed at the simulator directly gets the same, ids and
// timestamps aside), and each call leaves one ledger row with its surface and exact usage.
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { createOpenAI } from '@ai-sdk/openai';
import { generateText, streamText } from 'ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUserWithKey, startTestServer, type TestServer } from '../helpers/server.ts';

let server: TestServer;
let key: string;
let userId: string;
let openai: OpenAI;
let anthropic: Anthropic;
let directOpenai: OpenAI;
let directAnthropic: Anthropic;

beforeAll(async () => {
  server = await startTestServer();
  ({ key, userId } = await createUserWithKey(server, 'sdk-user@example.com'));
  openai = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: key, maxRetries: 0 });
  anthropic = new Anthropic({ baseURL: server.url, apiKey: key, maxRetries: 0 });
  const sim = server.app.simulator!;
  directOpenai = new OpenAI({ baseURL: `${sim.baseUrl}/accounts/offline/ai/v1`, apiKey: 'offline-simulator', maxRetries: 0 });
  directAnthropic = new Anthropic({ baseURL: `${sim.baseUrl}/accounts/offline/ai`, authToken: 'offline-simulator', apiKey: null, maxRetries: 0 });
}, 60_000);
afterAll(() => server?.close());

const CHAT_MODEL = 'openai/gpt-5.5';
const CLAUDE = 'anthropic/claude-sonnet-4-5';

/** A reply with its per-response ids and clocks blanked (they differ between any two replies). */
function scrub(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(scrub);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, ['id', 'created', 'created_at', 'item_id', 'completed_at'].includes(k) ? '<varies>' : scrub(v)]));
}

const rows = () => server.app.db.prisma.usageRecord.findMany({ where: { userId }, orderBy: { createdAt: 'asc' } });
async function newRows<T>(run: () => Promise<T>): Promise<{ result: T; rows: Awaited<ReturnType<typeof rows>> }> {
  const before = new Set((await rows()).map((r) => r.id));
  const result = await run();
  return { result, rows: (await rows()).filter((r) => !before.has(r.id)) };
}

const usageOf = (r: { inputTokens: number; cachedInputTokens: number; cacheWriteTokens: number; outputTokens: number; reasoningTokens: number; totalTokens: number }) => ({
  input: r.inputTokens + r.cachedInputTokens + r.cacheWriteTokens,
  cached: r.cachedInputTokens,
  output: r.outputTokens,
  total: r.totalTokens,
});

describe('openai client', () => {
  const messages = [{ role: 'system' as const, content: 'be brief' }, { role: 'user' as const, content: 'tell me about the drop-in surfaces' }];

  it('chat.completions.create: the simulator reply, one OPENAI row with its exact usage', async () => {
    const { result, rows: added } = await newRows(() => openai.chat.completions.create({ model: CHAT_MODEL, messages }));
    const direct = await directOpenai.chat.completions.create({ model: CHAT_MODEL, messages });
    expect(scrub(result)).toEqual(scrub(direct));
    expect(result.choices[0]!.message.content).toMatch(/^Echo: tell me about/);
    expect(added).toHaveLength(1);
    const row = added[0]!;
    expect(row).toMatchObject({ surface: 'OPENAI', api: 'CHAT_COMPLETIONS', status: 'OK', transport: 'openai-http', usageEstimated: false, attempt: 1 });
    expect(usageOf(row)).toEqual({ input: result.usage!.prompt_tokens, cached: result.usage!.prompt_tokens_details!.cached_tokens, output: result.usage!.completion_tokens, total: result.usage!.total_tokens });
  });

  it('chat streaming without include_usage: the stream as the simulator sends it without usage; the row still has the exact usage', async () => {
    const collect = async (client: OpenAI) => {
      const chunks: unknown[] = [];
      for await (const chunk of await client.chat.completions.create({ model: CHAT_MODEL, messages, stream: true })) chunks.push(chunk);
      return chunks;
    };
    const { result, rows: added } = await newRows(() => collect(openai));
    expect(scrub(result)).toEqual(scrub(await collect(directOpenai)));
    expect(result.some((c) => 'usage' in (c as object))).toBe(false);
    const reference = await directOpenai.chat.completions.create({ model: CHAT_MODEL, messages });
    expect(added).toHaveLength(1);
    expect(added[0]).toMatchObject({ surface: 'OPENAI', streamed: true, transport: 'openai-sse', status: 'OK', usageEstimated: false });
    expect(usageOf(added[0]!)).toEqual({ input: reference.usage!.prompt_tokens, cached: reference.usage!.prompt_tokens_details!.cached_tokens, output: reference.usage!.completion_tokens, total: reference.usage!.total_tokens });
  });

  it('chat streaming with include_usage: the usage chunk reaches the client', async () => {
    const collect = async (client: OpenAI) => {
      const chunks: unknown[] = [];
      const stream = await client.chat.completions.create({ model: CHAT_MODEL, messages, stream: true, stream_options: { include_usage: true } });
      for await (const chunk of stream) chunks.push(chunk);
      return chunks;
    };
    const { result, rows: added } = await newRows(() => collect(openai));
    expect(scrub(result)).toEqual(scrub(await collect(directOpenai)));
    const usage = (result.at(-1) as { usage: { prompt_tokens: number; completion_tokens: number } }).usage;
    expect(usageOf(added[0]!)).toMatchObject({ input: usage.prompt_tokens, output: usage.completion_tokens });
  });

  it('responses.create and responses streaming: the simulator reply, one row each', async () => {
    const input = 'summarise the ledger in one line';
    const { result, rows: added } = await newRows(() => openai.responses.create({ model: CHAT_MODEL, instructions: 'be brief', input }));
    expect(scrub(result)).toEqual(scrub(await directOpenai.responses.create({ model: CHAT_MODEL, instructions: 'be brief', input })));
    expect(result.output_text).toMatch(/^Echo: summarise/);
    expect(added).toHaveLength(1);
    expect(added[0]).toMatchObject({ surface: 'OPENAI', api: 'RESPONSES', status: 'OK', usageEstimated: false });
    expect(usageOf(added[0]!)).toMatchObject({ input: result.usage!.input_tokens, output: result.usage!.output_tokens });

    const events = async (client: OpenAI) => {
      const out: unknown[] = [];
      for await (const event of await client.responses.create({ model: CHAT_MODEL, input, stream: true })) out.push(event);
      return out;
    };
    const streamed = await newRows(() => events(openai));
    expect(scrub(streamed.result)).toEqual(scrub(await events(directOpenai)));
    expect(streamed.rows).toHaveLength(1);
    expect(streamed.rows[0]).toMatchObject({ surface: 'OPENAI', api: 'RESPONSES', streamed: true, usageEstimated: false });
  });

  it("embeddings.create (float, and the SDK's default base64): the simulator's vectors, one OPENAI EMBEDDING row each with its usage", async () => {
    const model = '@cf/baai/bge-small-en-v1.5';
    const input = ['first text', 'second text'];
    const direct = await directOpenai.embeddings.create({ model, input, encoding_format: 'float' });
    const { result, rows: made } = await newRows(() => openai.embeddings.create({ model, input, encoding_format: 'float' }));
    expect(result.data.map((d) => d.embedding)).toEqual(direct.data.map((d) => d.embedding));
    expect(result.data.map((d) => d.index)).toEqual([0, 1]);
    expect(result.data[0]!.embedding).toHaveLength(384);
    expect(made).toHaveLength(1);
    expect(made[0]).toMatchObject({ surface: 'OPENAI', modality: 'EMBEDDING', status: 'OK', requestedModel: model });
    expect(result.usage.prompt_tokens).toBe(made[0]!.inputTokens);
    expect(made[0]!.costUsd).not.toBeNull();
    // Without encoding_format the SDK asks for base64 (float32 little-endian) and decodes it itself.
    const decoded = await openai.embeddings.create({ model, input });
    expect(decoded.data).toHaveLength(2);
    decoded.data.forEach((d, i) => {
      const want = direct.data[i]!.embedding;
      expect(d.embedding).toHaveLength(want.length);
      expect(Math.max(...d.embedding.map((x, j) => Math.abs(x - want[j]!)))).toBeLessThan(1e-6); // float32 precision
    });
  });

  it('models.list: the catalogue', async () => {
    const list = [];
    for await (const model of openai.models.list()) list.push(model.id);
    const catalogue = server.app.services.pricing.models().map((m) => m.id);
    expect(list).toEqual(catalogue);
    expect(list).toContain(CHAT_MODEL);
  });
});

describe('@anthropic-ai/sdk client', () => {
  it('models.list: the catalogue in Anthropic\'s shape (the SDK sends anthropic-version)', async () => {
    const list: string[] = [];
    for await (const model of anthropic.models.list()) {
      expect(model.type).toBe('model');
      list.push(model.id);
    }
    expect(list).toEqual(server.app.services.pricing.models().map((m) => m.id));
  });

  const weather = { name: 'get_weather', description: 'Weather of a city', input_schema: { type: 'object' as const, properties: { city: { type: 'string' } }, required: ['city'] } };

  it('messages.create: the simulator reply, one ANTHROPIC row with its exact usage', async () => {
    const body = { model: CLAUDE, max_tokens: 256, system: 'be brief', messages: [{ role: 'user' as const, content: 'hello from an Anthropic client' }] };
    const { result, rows: added } = await newRows(() => anthropic.messages.create(body));
    expect(scrub(result)).toEqual(scrub(await directAnthropic.messages.create(body)));
    expect(added).toHaveLength(1);
    expect(added[0]).toMatchObject({ surface: 'ANTHROPIC', api: 'MESSAGES', status: 'OK', transport: 'anthropic-http', usageEstimated: false });
    const u = result.usage;
    expect(added[0]).toMatchObject({ inputTokens: u.input_tokens, cachedInputTokens: u.cache_read_input_tokens ?? 0, cacheWriteTokens: u.cache_creation_input_tokens ?? 0, outputTokens: u.output_tokens });
  });

  it('messages streaming with tools: the same events and final message as the simulator; a tool round trip', async () => {
    const body = { model: CLAUDE, max_tokens: 256, tools: [weather], messages: [{ role: 'user' as const, content: 'call get_weather for Lyon' }] };
    const run = async (client: Anthropic) => {
      const events: unknown[] = [];
      const stream = client.messages.stream(body);
      stream.on('streamEvent', (e) => events.push(e));
      return { events, final: await stream.finalMessage() };
    };
    const { result, rows: added } = await newRows(() => run(anthropic));
    const direct = await run(directAnthropic);
    expect(scrub(result.events)).toEqual(scrub(direct.events));
    expect(scrub(result.final)).toEqual(scrub(direct.final));
    const use = result.final.content.find((b) => b.type === 'tool_use');
    expect(use?.type === 'tool_use' && use.name).toBe('get_weather');
    expect(added).toHaveLength(1);
    expect(added[0]).toMatchObject({ surface: 'ANTHROPIC', streamed: true, status: 'OK', usageEstimated: false, outputTokens: result.final.usage.output_tokens });

    // The tool result goes back (tool_use in the assistant turn, tool_result in the user turn).
    const answer = await anthropic.messages.create({
      ...body,
      messages: [...body.messages, { role: 'assistant', content: result.final.content }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: use!.type === 'tool_use' ? use!.id : '', content: 'sunny, 21 C' }] }],
    });
    expect(answer.content[0]).toMatchObject({ type: 'text', text: 'Echo: sunny, 21 C' });
  });
});

describe('Vercel AI SDK through @ai-sdk/openai', () => {
  it('generateText (chat completions) and streamText (responses) with baseURL', async () => {
    const provider = createOpenAI({ baseURL: `${server.url}/v1`, apiKey: key });
    const { result, rows: added } = await newRows(() => generateText({ model: provider.chat(CHAT_MODEL), prompt: 'hello from the AI SDK', maxRetries: 0 }));
    expect(result.text).toBe('Echo: hello from the AI SDK');
    expect(added).toHaveLength(1);
    expect(added[0]).toMatchObject({ surface: 'OPENAI', api: 'CHAT_COMPLETIONS', outputTokens: result.usage.outputTokens });

    const streamed = await newRows(async () => {
      const stream = streamText({ model: provider(CHAT_MODEL), prompt: 'streaming from the AI SDK', maxRetries: 0 });
      let text = '';
      for await (const part of stream.textStream) text += part;
      return { text, usage: await stream.usage };
    });
    expect(streamed.result.text).toBe('Echo: streaming from the AI SDK');
    expect(streamed.rows).toHaveLength(1);
    expect(streamed.rows[0]).toMatchObject({ surface: 'OPENAI', api: 'RESPONSES', streamed: true, usageEstimated: false, outputTokens: streamed.result.usage.outputTokens });
  });
});
