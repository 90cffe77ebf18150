// Beyond plain text, the whole matrix: each wire format (Chat Completions, Responses, Messages,
// /ai/run) x each transport (GraphQL HTTP, SSE and WebSocket; tRPC HTTP, SSE and WebSocket;
// streamed and not): a tool call round-trips (request, call, result, final answer), a JSON-schema
// request returns matching `json`, an image input reaches the upstream in that format's shape,
// and reasoning tokens land in the ledger. Real server, real clients, the simulator upstream.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UpstreamApi } from '../../src/upstream/call-vocabulary.ts';
import { collectTrpc, graphqlSse, graphqlWs, trpcHttp, trpcWs } from '../helpers/clients.ts';
import { createUserWithKey, startTestServer, type TestServer } from '../helpers/server.ts';

interface ToolCall {
  id: string;
  name: string;
  arguments: string;
}
interface Gen {
  id: string;
  text: string;
  api: string;
  finishReason: string | null;
  rawFinishReason: string | null;
  toolCalls: ToolCall[];
  json: unknown;
  jsonError: { code: string; message: string } | null;
  reasoningText: string | null;
  usage: { inputTokens: number; outputTokens: number; reasoningTokens: number; totalTokens: number };
}
interface Outcome {
  generation: Gen;
  streamed: boolean;
  texts: string[];
  reasoning: string[];
  toolDeltas: Array<{ index: number; id: string | null; name: string | null; argumentsDelta: string }>;
}

const GEN = 'id text api finishReason rawFinishReason toolCalls { id name arguments } json jsonError { code message } reasoningText usage { inputTokens outputTokens reasoningTokens totalTokens }';
const MUTATION = `mutation($input: GenerateInput!) { generate(input: $input) { ${GEN} } }`;
const SUBSCRIPTION = `subscription($input: GenerateInput!) { generateStream(input: $input) { __typename
  ... on TextDelta { index text } ... on ToolCallDelta { index id name argumentsDelta } ... on ReasoningDelta { text }
  ... on GenerationCompleted { generation { ${GEN} } } } }`;

/** Model per format: the format is forced with `api`. */
const FORMATS: Record<UpstreamApi, string> = {
  CHAT_COMPLETIONS: 'openai/gpt-5.5',
  RESPONSES: 'openai/gpt-5.5',
  MESSAGES: 'anthropic/claude-sonnet-4-5',
  RUN: '@cf/moonshotai/kimi-k2.6',
};

let server: TestServer;
let key: string;
let ws: ReturnType<typeof trpcWs>;

beforeAll(async () => {
  server = await startTestServer();
  ({ key } = await createUserWithKey(server, 'beyond-text@example.com'));
  ws = trpcWs(server.url, key);
});
afterAll(async () => {
  await ws?.close();
  await server?.close();
});

type RawEvent = Record<string, unknown> & { __typename?: string; type?: string };

function outcomeOf(events: RawEvent[]): Outcome {
  const kind = (e: RawEvent) => e.type ?? { TextDelta: 'delta', ToolCallDelta: 'toolCallDelta', ReasoningDelta: 'reasoningDelta', GenerationCompleted: 'completed' }[e.__typename ?? ''];
  const last = events.at(-1)!;
  expect(kind(last)).toBe('completed');
  return {
    generation: last.generation as Gen,
    streamed: true,
    texts: events.filter((e) => kind(e) === 'delta').map((e) => e.text as string),
    reasoning: events.filter((e) => kind(e) === 'reasoningDelta').map((e) => e.text as string),
    toolDeltas: events.filter((e) => kind(e) === 'toolCallDelta') as unknown as Outcome['toolDeltas'],
  };
}
const plain = (generation: unknown): Outcome => ({ generation: generation as Gen, streamed: false, texts: [], reasoning: [], toolDeltas: [] });

async function gqlStream(via: typeof graphqlSse, query: string, input: Record<string, unknown>): Promise<RawEvent[]> {
  const { events, errors } = await via<RawEvent>(server.url, key, query, { input });
  expect(errors).toEqual([]);
  return events;
}

const TRANSPORTS: Record<string, (input: Record<string, unknown>) => Promise<Outcome>> = {
  'GraphQL HTTP mutation': async (input) => {
    const res = await server.gql<{ generate: Gen }>(MUTATION, { input }, key);
    expect(res.errors).toBeUndefined();
    return plain(res.data!.generate);
  },
  'GraphQL SSE mutation': async (input) => plain((await gqlStream(graphqlSse, MUTATION, input))[0]),
  'GraphQL SSE subscription': async (input) => outcomeOf(await gqlStream(graphqlSse, SUBSCRIPTION, input)),
  'GraphQL WebSocket mutation': async (input) => plain((await gqlStream(graphqlWs, MUTATION, input))[0]),
  'GraphQL WebSocket subscription': async (input) => outcomeOf(await gqlStream(graphqlWs, SUBSCRIPTION, input)),
  'tRPC HTTP mutation': async (input) => plain(await trpcHttp(server.url, key).generate.mutate(input as never)),
  'tRPC SSE subscription': async (input) => outcomeOf(await collectTrpc<RawEvent>((h) => trpcHttp(server.url, key).generateStream.subscribe(input as never, h as never))),
  'tRPC WebSocket mutation': async (input) => plain(await ws.client.generate.mutate(input as never)),
  'tRPC WebSocket subscription': async (input) => outcomeOf(await collectTrpc<RawEvent>((h) => ws.client.generateStream.subscribe(input as never, h as never))),
};

/** The body the simulator received for a generation (its id is the cf-aig-event-id). */
function sentBody(generationId: string): Record<string, unknown> {
  const sent = server.app.simulator!.requests.filter((r) => r.headers['cf-aig-event-id'] === generationId);
  expect(sent).toHaveLength(1);
  return sent[0]!.body as Record<string, unknown>;
}
/** The message list of a request body in its format (input items for Responses). */
function wireMessages(api: UpstreamApi, body: Record<string, unknown>): Array<Record<string, unknown>> {
  if (api === 'RESPONSES') return body.input as Array<Record<string, unknown>>;
  if (api === 'RUN') return (body.input as { messages: Array<Record<string, unknown>> }).messages;
  return body.messages as Array<Record<string, unknown>>;
}

/** A streamed outcome's fragments must assemble to the completed event's values. */
function checkStreamAssembly(o: Outcome): void {
  if (!o.streamed) return;
  expect(o.texts.join('')).toBe(o.generation.text);
  expect(o.reasoning.join('')).toBe(o.generation.reasoningText ?? '');
  const assembled: ToolCall[] = [];
  for (const d of o.toolDeltas) {
    const call = (assembled[d.index] ??= { id: '', name: '', arguments: '' });
    if (d.id) call.id = d.id;
    if (d.name) call.name = d.name;
    call.arguments += d.argumentsDelta;
  }
  expect(assembled).toEqual(o.generation.toolCalls);
}

const WEATHER_TOOL = {
  name: 'get_weather',
  description: 'Current weather in a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false },
};
const EXTRACTION = {
  type: 'object',
  properties: { summary: { type: 'string' }, words: { type: 'integer' }, tags: { type: 'array', items: { type: 'string' } } },
  required: ['summary', 'words', 'tags'],
  additionalProperties: false,
};
const PNG_BYTES = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
const PNG = PNG_BYTES.toString('base64');
const IMAGE_URL = 'https://example.com/cat.png';

/** The image parts a format's request must carry for one inline PNG and one URL image. */
const IMAGE_PARTS: Record<UpstreamApi, unknown[]> = {
  CHAT_COMPLETIONS: [
    { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG}` } },
    { type: 'image_url', image_url: { url: IMAGE_URL } },
  ],
  RUN: [
    { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG}` } },
    { type: 'image_url', image_url: { url: IMAGE_URL } },
  ],
  RESPONSES: [
    { type: 'input_image', image_url: `data:image/png;base64,${PNG}` },
    { type: 'input_image', image_url: IMAGE_URL },
  ],
  MESSAGES: [
    { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG } },
    { type: 'image', source: { type: 'url', url: IMAGE_URL } },
  ],
};

/** The assistant tool call and its result, in a format's request shape. */
function toolTurnShape(api: UpstreamApi, call: ToolCall, result: string): unknown[] {
  switch (api) {
    case 'CHAT_COMPLETIONS':
    case 'RUN':
      return [
        expect.objectContaining({ role: 'assistant', tool_calls: [{ id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } }] }),
        { role: 'tool', tool_call_id: call.id, content: result },
      ];
    case 'RESPONSES':
      return [
        { type: 'function_call', call_id: call.id, name: call.name, arguments: call.arguments },
        { type: 'function_call_output', call_id: call.id, output: result },
      ];
    case 'MESSAGES':
      return [
        { role: 'assistant', content: [{ type: 'tool_use', id: call.id, name: call.name, input: JSON.parse(call.arguments) }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: call.id, content: result }] },
      ];
  }
}

describe.each(Object.keys(FORMATS) as UpstreamApi[])('%s', (api) => {
  const model = FORMATS[api];

  describe.each(Object.entries(TRANSPORTS))('over %s', (transport, run) => {
    it('a tool call round-trips: request, call, result, final answer', async () => {
      const prompt = `call get_weather for Paris via ${transport}`;
      const first = await run({ model, api, prompt, tools: [WEATHER_TOOL] });
      checkStreamAssembly(first);
      const gen = first.generation;
      expect(gen.api).toBe(api);
      expect(gen.finishReason).toBe('tool_calls');
      expect(gen.rawFinishReason).toBe({ CHAT_COMPLETIONS: 'tool_calls', RUN: 'tool_calls', RESPONSES: 'completed', MESSAGES: 'tool_use' }[api]);
      expect(gen.toolCalls).toHaveLength(1);
      const call = gen.toolCalls[0]!;
      expect(call.name).toBe('get_weather');
      expect(call.id).not.toBe('');
      expect(JSON.parse(call.arguments)).toEqual({ city: prompt });
      if (first.streamed) expect(first.toolDeltas.length).toBeGreaterThan(2);

      const result = `sunny and 21C in Paris (${transport})`;
      const second = await run({
        model,
        api,
        tools: [WEATHER_TOOL],
        messages: [
          { role: 'USER', content: prompt },
          { role: 'ASSISTANT', content: '', toolCalls: [call] },
          { role: 'TOOL', content: result, toolCallId: call.id },
        ],
      });
      checkStreamAssembly(second);
      expect(second.generation.toolCalls).toEqual([]);
      expect(second.generation.finishReason).toBe('stop');
      expect(second.generation.text).toBe(`Echo: ${result}`);
      expect(wireMessages(api, sentBody(second.generation.id)).slice(1)).toEqual(toolTurnShape(api, call, result));
    });

    it('a JSON-schema request returns json matching the schema', async () => {
      const prompt = `extract the facts from this note via ${transport}`;
      const { generation, ...o } = await run({ model, api, prompt, responseFormat: { type: 'JSON_SCHEMA', name: 'extraction', schema: EXTRACTION, strict: true } });
      checkStreamAssembly({ generation, ...o });
      expect(generation.jsonError).toBeNull();
      expect(generation.json).toEqual({ summary: prompt, words: prompt.split(' ').length, tags: [prompt] });
      expect(JSON.parse(generation.text)).toEqual(generation.json);
      expect(generation.finishReason).toBe('stop');
      expect(generation.toolCalls).toEqual([]);
      const body = sentBody(generation.id);
      if (api === 'MESSAGES') expect(body.tool_choice).toEqual({ type: 'tool', name: 'extraction' });
      if (api === 'RESPONSES') expect(body.text).toMatchObject({ format: { type: 'json_schema', name: 'extraction', schema: EXTRACTION } });
      if (api === 'CHAT_COMPLETIONS') expect(body.response_format).toMatchObject({ type: 'json_schema', json_schema: { name: 'extraction', schema: EXTRACTION } });
      if (api === 'RUN') expect((body.input as Record<string, unknown>).response_format).toMatchObject({ type: 'json_schema' });
    });

    it("an image input reaches the upstream in the format's shape", async () => {
      const { generation, ...o } = await run({
        model,
        api,
        messages: [{ role: 'USER', content: `describe these via ${transport}`, images: [{ data: PNG, mediaType: 'image/png' }, { url: IMAGE_URL }] }],
      });
      checkStreamAssembly({ generation, ...o });
      expect(generation.text).toBe(`Echo: describe these via ${transport} (images: 2, bytes: ${PNG_BYTES.length})`);
      const last = wireMessages(api, sentBody(generation.id)).at(-1)!;
      expect(last.content).toEqual(expect.arrayContaining(IMAGE_PARTS[api]));
      // Image input tokens come from the upstream's usage (85 a picture in the simulator).
      expect(generation.usage.inputTokens + (generation.usage.totalTokens - generation.usage.inputTokens - generation.usage.outputTokens)).toBeGreaterThanOrEqual(170);
    });

    it('reasoning text streams and its tokens land in the ledger', async () => {
      const prompt = `think it through via ${transport}`;
      const { generation, ...o } = await run({ model, api, prompt, reasoningEffort: 'LOW' });
      checkStreamAssembly({ generation, ...o });
      const reasoningText = `Reasoning (low): ${prompt}`;
      expect(generation.reasoningText).toBe(reasoningText);
      if (o.streamed) expect(o.reasoning.length).toBeGreaterThan(1);
      const expected = (model.startsWith('openai/') ? 8 : 0) + reasoningText.split(' ').length;
      expect(generation.usage.reasoningTokens).toBe(expected);
      const row = await server.app.db.prisma.usageRecord.findUniqueOrThrow({ where: { id: generation.id } });
      expect(row).toMatchObject({ status: 'OK', reasoningTokens: expected, outputTokens: generation.usage.outputTokens, streamed: o.streamed });
    });
  });
});
