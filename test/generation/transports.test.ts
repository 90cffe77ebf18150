// Every adapter x transport, for an openai/, an anthropic/ and a @cf/ model: streamed deltas join
// to the full text, the final event carries exact usage, and each call leaves one ledger row.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simulateReply } from '../../src/simulator/reply.ts';
import type { Usage } from '../../src/upstream/call-vocabulary.ts';
import { collectTrpc, graphqlSse, graphqlWs, trpcHttp, trpcWs } from '../helpers/clients.ts';
import { createUserWithKey, startTestServer, type TestServer } from '../helpers/server.ts';

const MODELS = ['openai/gpt-5.5', 'anthropic/claude-sonnet-4-5', '@cf/moonshotai/kimi-k2.6'] as const;

const GENERATION_FIELDS = 'id text model servedModel api gatewayId finishReason cacheStatus upstreamLogId latencyMs usage { inputTokens outputTokens cachedInputTokens cacheWriteTokens reasoningTokens totalTokens costUsd estimated modality images imageTiles imageSteps audioSeconds characters }';
const GENERATE_MUTATION = `mutation($input: GenerateInput!) { generate(input: $input) { ${GENERATION_FIELDS} } }`;
const GENERATE_SUB = `subscription($input: GenerateInput!) { generateStream(input: $input) { __typename ... on TextDelta { index text } ... on GenerationCompleted { generation { ${GENERATION_FIELDS} } } } }`;
const CHAT_MUTATION = `mutation($input: ChatInput!) { chat(input: $input) { conversation { id title } userMessage { content role } assistantMessage { content role status } generation { ${GENERATION_FIELDS} } } }`;
const CHAT_SUB = `subscription($input: ChatInput!) { chatStream(input: $input) { __typename ... on ConversationStarted { conversation { id } } ... on TextDelta { index text } ... on ChatTurnCompleted { turn { conversation { id } assistantMessage { content status } generation { ${GENERATION_FIELDS} } } } } }`;

interface GenerationLike {
  id: string;
  text: string;
  model: string;
  api: string;
  gatewayId: string;
  usage: Usage & { costUsd: string | null };
}

interface Outcome {
  deltas: string[];
  generation: GenerationLike;
}

let server: TestServer;
let key: string;
let userId: string;
let ws: ReturnType<typeof trpcWs>;

beforeAll(async () => {
  server = await startTestServer();
  ({ key, userId } = await createUserWithKey(server, 'transports@example.com'));
  ws = trpcWs(server.url, key);
});
afterAll(async () => {
  await ws?.close();
  await server?.close();
});

type Event = { __typename?: string; type?: string; text?: string; generation?: GenerationLike; turn?: { generation: GenerationLike } };

function outcomeOf(events: Event[]): Outcome {
  const deltas = events.filter((e) => e.__typename === 'TextDelta' || e.type === 'delta').map((e) => e.text!);
  const last = events.at(-1)!;
  const generation = last.generation ?? last.turn?.generation;
  if (!generation) throw new Error(`no completed event in ${JSON.stringify(events)}`);
  return { deltas, generation };
}

const generateTransports: Record<string, (input: Record<string, unknown>) => Promise<Outcome>> = {
  'graphql http mutation': async (input) => {
    const res = await server.gql<{ generate: GenerationLike }>(GENERATE_MUTATION, { input }, key);
    expect(res.errors).toBeUndefined();
    return { deltas: [], generation: res.data!.generate };
  },
  'trpc http mutation': async (input) => ({ deltas: [], generation: (await trpcHttp(server.url, key).generate.mutate(input as never)) as GenerationLike }),
  'trpc ws mutation': async (input) => ({ deltas: [], generation: (await ws.client.generate.mutate(input as never)) as GenerationLike }),
  'graphql-sse subscription': async (input) => {
    const { events, errors } = await graphqlSse<Event>(server.url, key, GENERATE_SUB, { input });
    expect(errors).toEqual([]);
    return outcomeOf(events);
  },
  'graphql-ws subscription': async (input) => {
    const { events, errors } = await graphqlWs<Event>(server.url, key, GENERATE_SUB, { input });
    expect(errors).toEqual([]);
    return outcomeOf(events);
  },
  'trpc httpSubscriptionLink': async (input) =>
    outcomeOf(await collectTrpc<Event>((h) => trpcHttp(server.url, key).generateStream.subscribe(input as never, h as never))),
  'trpc wsLink subscription': async (input) => outcomeOf(await collectTrpc<Event>((h) => ws.client.generateStream.subscribe(input as never, h as never))),
};

const chatTransports: Record<string, (input: Record<string, unknown>) => Promise<Outcome>> = {
  'graphql http mutation': async (input) => {
    const res = await server.gql<{ chat: { generation: GenerationLike; assistantMessage: { content: string } } }>(CHAT_MUTATION, { input }, key);
    expect(res.errors).toBeUndefined();
    expect(res.data!.chat.assistantMessage.content).toBe(res.data!.chat.generation.text);
    return { deltas: [], generation: res.data!.chat.generation };
  },
  'trpc http mutation': async (input) => ({ deltas: [], generation: (await trpcHttp(server.url, key).chat.mutate(input as never)).generation as GenerationLike }),
  'trpc ws mutation': async (input) => ({ deltas: [], generation: (await ws.client.chat.mutate(input as never)).generation as GenerationLike }),
  'graphql-sse subscription': async (input) => {
    const { events, errors } = await graphqlSse<Event>(server.url, key, CHAT_SUB, { input });
    expect(errors).toEqual([]);
    expect(events[0]!.__typename).toBe('ConversationStarted');
    return outcomeOf(events);
  },
  'graphql-ws subscription': async (input) => {
    const { events, errors } = await graphqlWs<Event>(server.url, key, CHAT_SUB, { input });
    expect(errors).toEqual([]);
    expect(events[0]!.__typename).toBe('ConversationStarted');
    return outcomeOf(events);
  },
  'trpc httpSubscriptionLink': async (input) => {
    const events = await collectTrpc<Event>((h) => trpcHttp(server.url, key).chatStream.subscribe(input as never, h as never));
    expect(events[0]!.type).toBe('conversationStarted');
    return outcomeOf(events);
  },
  'trpc wsLink subscription': async (input) => {
    const events = await collectTrpc<Event>((h) => ws.client.chatStream.subscribe(input as never, h as never));
    expect(events[0]!.type).toBe('conversationStarted');
    return outcomeOf(events);
  },
};

async function ledgerRows(): Promise<number> {
  return server.app.db.prisma.usageRecord.count({ where: { userId } });
}

async function check(outcome: Outcome, model: string, prompt: string, streamed: boolean) {
  const expected = simulateReply({ model, messages: [{ role: 'user', content: prompt }] });
  const { generation } = outcome;
  expect(generation.text).toBe(expected.text);
  if (streamed) {
    expect(outcome.deltas.length).toBeGreaterThan(1);
    expect(outcome.deltas.join('')).toBe(expected.text);
  }
  expect(generation.model).toBe(model);
  expect(generation.gatewayId).toBe('default');
  // A text call's usage: its tokens, modality TEXT and no billed units.
  const { costUsd: _cost, estimated, modality, images, imageTiles, imageSteps, audioSeconds, characters, ...usage } = generation.usage as typeof generation.usage & Record<string, unknown>;
  expect(usage).toEqual(expected.usage);
  expect({ modality, images, imageTiles, imageSteps, audioSeconds, characters }).toEqual({ modality: 'TEXT', images: 0, imageTiles: 0, imageSteps: 0, audioSeconds: 0, characters: 0 });
  expect(estimated).toBe(false);
  const row = await server.app.db.prisma.usageRecord.findUniqueOrThrow({ where: { id: generation.id } });
  expect(row).toMatchObject({ userId, status: 'OK', requestedModel: model, streamed, totalTokens: expected.usage.totalTokens, outputTokens: expected.usage.outputTokens, inputTokens: expected.usage.inputTokens });
}

describe.each(Object.entries(generateTransports))('generate over %s', (_name, run) => {
  it.each(MODELS)('%s', async (model) => {
    const before = await ledgerRows();
    const prompt = `tell me about ${model} over ${_name}`;
    const outcome = await run({ model, prompt });
    await check(outcome, model, prompt, _name.includes('subscription') || _name.includes('Subscription'));
    expect(await ledgerRows()).toBe(before + 1);
  });
});

describe.each(Object.entries(chatTransports))('chat over %s', (_name, run) => {
  it.each(MODELS)('%s', async (model) => {
    const before = await ledgerRows();
    const message = `chatting with ${model} over ${_name}`;
    const outcome = await run({ model, message });
    await check(outcome, model, message, _name.includes('subscription') || _name.includes('Subscription'));
    expect(await ledgerRows()).toBe(before + 1);
  });
});

describe('each upstream API can be forced', () => {
  it.each(['CHAT_COMPLETIONS', 'RESPONSES', 'MESSAGES', 'RUN'] as const)('api: %s, streamed and not', async (api) => {
    for (const model of MODELS) {
      const prompt = `forced ${api} for ${model}`;
      const expected = simulateReply({ model, messages: [{ role: 'user', content: prompt }] });
      const plain = await trpcHttp(server.url, key).generate.mutate({ model, prompt, api });
      expect(plain.api).toBe(api);
      expect(plain.text).toBe(expected.text);
      expect(plain.usage.totalTokens).toBe(expected.usage.totalTokens);
      const streamed = outcomeOf(await collectTrpc<Event>((h) => ws.client.generateStream.subscribe({ model, prompt, api }, h as never)));
      expect(streamed.deltas.join('')).toBe(expected.text);
      expect(streamed.generation.usage.totalTokens).toBe(expected.usage.totalTokens);
      const sent = server.app.simulator!.requests.filter((r) => r.headers['cf-aig-event-id'] === streamed.generation.id);
      expect(sent).toHaveLength(1);
    }
  });
});
