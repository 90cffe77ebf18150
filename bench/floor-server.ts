// Baseline 2: the frameworks' own floor. One node:http server with a graphql-yoga + Pothos
// `generate` mutation (and `generateStream` subscription) and a tRPC v11 `generate` procedure
// (and `generateStream` subscription) that return a constant: the same package versions, the
// same yoga settings as src/graphql/yoga.ts (masked errors with Switchboard's mapping, the
// validation-code plugin, quiet logging, GraphiQL config) and the same tRPC setup (isDev off,
// input validated by the same zod schema), mounted the same way as src/http/server.ts. What it
// lacks is exactly what Switchboard adds: authentication, limits, the upstream call, the ledger.
//
// Two cheaper variants of the same floor, to measure what a framework change would give:
// - /graphql-jit: the same yoga with graphql-jit (through @envelop/graphql-jit) executing;
// - /trpc-direct/generate: the same tRPC router called through createCaller from node:http,
//   without tRPC's Fetch adapter (no Fetch Request/Response per call).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import SchemaBuilder from '@pothos/core';
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import { initTRPC } from '@trpc/server';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import { useGraphQlJit } from '@envelop/graphql-jit';
import { createYoga, type YogaServerOptions } from 'graphql-yoga';
import { generateInput } from '../src/domain/generation/schemas.ts';
import type { Generation, GenerationEvent, TextDeltaEvent } from '../src/domain/generation/generation-view.ts';
import { createMaskError, validationCodePlugin } from '../src/graphql/errors.ts';
import { createLogger } from '../src/platform/logger.ts';
import { announce, onStop } from './lib/announce.ts';

const DELTAS = ['Echo:', ' hello', ' from', ' the', ' bench'];
const GENERATION: Generation = {
  id: '0190a5c8-0000-7000-8000-000000000000',
  text: DELTAS.join(''),
  model: 'openai/gpt-5.5',
  servedModel: 'openai/gpt-5.5',
  cacheHit: false,
  api: 'CHAT_COMPLETIONS',
  gatewayId: 'default',
  finishReason: 'stop',
  rawFinishReason: 'stop',
  toolCalls: [],
  json: null,
  jsonError: null,
  reasoningText: null,
  usage: { inputTokens: 3, outputTokens: 13, cachedInputTokens: 2, cacheWriteTokens: 0, reasoningTokens: 8, totalTokens: 18, costUsd: null, estimated: false },
  cacheStatus: 'MISS',
  upstreamLogId: '0190a5c8-0000-7000-8000-000000000001',
  latencyMs: 1,
  timeToFirstTokenMs: null,
  reconciliation: 'UNCHECKED',
  upstreamCostUsd: null,
  upstreamTokensIn: null,
  upstreamTokensOut: null,
};

type FloorEvent = TextDeltaEvent | Extract<GenerationEvent, { type: 'completed' }>;
async function* constantStream(): AsyncGenerator<FloorEvent> {
  for (let index = 0; index < DELTAS.length; index++) yield { type: 'delta', index, text: DELTAS[index]! } satisfies TextDeltaEvent;
  yield { type: 'completed', generation: GENERATION };
}

// ---- GraphQL: yoga + Pothos ------------------------------------------------------------
const builder = new SchemaBuilder<{ Context: { transport: string }; DefaultFieldNullability: false }>({ defaultFieldNullability: false });
builder.queryType({ fields: (t) => ({ ok: t.boolean({ resolve: () => true }) }) });
const Api = builder.enumType('UpstreamApi', { values: ['CHAT_COMPLETIONS', 'RESPONSES', 'MESSAGES', 'RUN'] as const });
const Input = builder.inputType('GenerateInput', { fields: (t) => ({ model: t.string({ required: true }), prompt: t.string() }) });
const Usage = builder.objectRef<Generation['usage']>('Usage').implement({
  fields: (t) => ({
    inputTokens: t.exposeInt('inputTokens'),
    outputTokens: t.exposeInt('outputTokens'),
    cachedInputTokens: t.exposeInt('cachedInputTokens'),
    cacheWriteTokens: t.exposeInt('cacheWriteTokens'),
    reasoningTokens: t.exposeInt('reasoningTokens'),
    totalTokens: t.exposeInt('totalTokens'),
    costUsd: t.exposeString('costUsd', { nullable: true }),
  }),
});
const GenerationRef = builder.objectRef<Generation>('Generation').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    text: t.exposeString('text'),
    model: t.exposeString('model'),
    servedModel: t.exposeString('servedModel', { nullable: true }),
    api: t.field({ type: Api, resolve: (g) => g.api }),
    gatewayId: t.exposeString('gatewayId'),
    finishReason: t.exposeString('finishReason', { nullable: true }),
    usage: t.field({ type: Usage, resolve: (g) => g.usage }),
    cacheStatus: t.exposeString('cacheStatus', { nullable: true }),
    upstreamLogId: t.exposeString('upstreamLogId', { nullable: true }),
    latencyMs: t.exposeInt('latencyMs'),
    timeToFirstTokenMs: t.exposeInt('timeToFirstTokenMs', { nullable: true }),
  }),
});
const Delta = builder.objectRef<TextDeltaEvent>('TextDelta').implement({
  isTypeOf: (v) => (v as { type?: string }).type === 'delta',
  fields: (t) => ({ index: t.exposeInt('index'), text: t.exposeString('text') }),
});
type Completed = Extract<GenerationEvent, { type: 'completed' }>;
const CompletedRef = builder.objectRef<Completed>('GenerationCompleted').implement({
  isTypeOf: (v) => (v as { type?: string }).type === 'completed',
  fields: (t) => ({ generation: t.field({ type: GenerationRef, resolve: (e) => e.generation }) }),
});
const Event = builder.unionType('GenerationEvent', { types: [Delta, CompletedRef] });
builder.mutationType({
  fields: (t) => ({
    generate: t.field({ type: GenerationRef, args: { input: t.arg({ type: Input, required: true }) }, resolve: () => GENERATION }),
  }),
});
builder.subscriptionType({
  fields: (t) => ({
    generateStream: t.field({
      type: Event,
      args: { input: t.arg({ type: Input, required: true }) },
      subscribe: () => constantStream(),
      resolve: (e: FloorEvent) => e,
    }),
  }),
});

const logger = createLogger('silent');
const yogaOptions = (graphqlEndpoint: string): YogaServerOptions<object, { transport: string }> => ({
  schema,
  graphqlEndpoint,
  landingPage: false,
  graphiql: { title: 'floor', subscriptionsProtocol: 'SSE' },
  renderGraphiQL,
  maskedErrors: { maskError: createMaskError(logger) },
  logging: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
  plugins: [validationCodePlugin()],
  context: async ({ request }) => ({ transport: request.headers.get('accept')?.includes('text/event-stream') ? 'graphql-sse' : 'graphql-http' }),
});
const schema = builder.toSchema();
const yoga = createYoga(yogaOptions('/graphql'));
const jitOptions = yogaOptions('/graphql-jit');
const yogaJit = createYoga({ ...jitOptions, plugins: [...(jitOptions.plugins ?? []), useGraphQlJit()] });

// ---- tRPC v11 ----------------------------------------------------------------------------
const t = initTRPC.create({ isDev: false });
const router = t.router({
  generate: t.procedure.input(generateInput).mutation(() => GENERATION),
  generateStream: t.procedure.input(generateInput).subscription(async function* () {
    yield* constantStream();
  }),
});
const trpc = createHTTPHandler({ router, basePath: '/trpc/', maxBodySize: 1_048_576 });
const caller = router.createCaller({});
/** POST /trpc-direct/generate: the body is the input; the reply is tRPC's non-batched envelope. */
function trpcDirect(req: IncomingMessage, res: ServerResponse): void {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    caller
      .generate(JSON.parse(Buffer.concat(chunks).toString('utf8')) as never)
      .then((data) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ result: { data } })))
      .catch((e: unknown) => res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: String(e) } })));
  });
}

const server = createServer((req, res) => {
  const path = (req.url ?? '/').split('?', 1)[0]!;
  if (path === '/graphql') void yoga(req, res);
  else if (path === '/graphql-jit') void yogaJit(req, res);
  else if (path.startsWith('/trpc/')) void trpc(req, res);
  else if (path === '/trpc-direct/generate') trpcDirect(req, res);
  else res.writeHead(404).end();
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const address = server.address();
const port = typeof address === 'object' && address ? address.port : 0;
announce({ url: `http://127.0.0.1:${port}` });
onStop(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
