// GraphQL: generate, generateStream and the types they share with chat.
import type { Generation, GenerationEvent, GenerationUsage, TextDeltaEvent } from '../../domain/generation/generation-view.ts';
import { generateInput } from '../../domain/generation/schemas.ts';
import { parseInput } from '../../domain/validation.ts';
import { MODALITIES, UPSTREAM_APIS } from '../../upstream/call-vocabulary.ts';
import { builder, principalOf, type GraphQLContext } from '../builder.ts';
import { featureOptionFields, ImageInputRef, JsonErrorRef, ReasoningDeltaRef, ToolCallDeltaRef, ToolCallInputRef, ToolCallRef } from './beyond-text.ts';

export const UpstreamApiEnum = builder.enumType('UpstreamApi', { values: UPSTREAM_APIS });

export const ModalityEnum = builder.enumType('Modality', { description: 'What a call produces', values: MODALITIES });

/** A closed set, so an enum (it was a lenient scalar): SYSTEM, USER, ASSISTANT, TOOL. */
export const ChatRoleEnum = builder.enumType('ChatRole', {
  description: 'The role of an input message',
  values: { SYSTEM: { value: 'system' }, USER: { value: 'user' }, ASSISTANT: { value: 'assistant' }, TOOL: { value: 'tool' } } as const,
});

export const MessageInputRef = builder.inputType('MessageInput', {
  fields: (t) => ({
    role: t.field({ type: ChatRoleEnum, required: true }),
    content: t.string({ required: true }),
    images: t.field({ type: [ImageInputRef], description: 'USER messages' }),
    toolCalls: t.field({ type: [ToolCallInputRef], description: 'ASSISTANT messages: the calls it made' }),
    toolCallId: t.string({ description: 'TOOL messages: the call this result answers' }),
  }),
});

export const CacheInputRef = builder.inputType('CacheInput', {
  fields: (t) => ({
    ttlSeconds: t.int({ description: '-> cf-aig-cache-ttl' }),
    skip: t.boolean({ description: '-> cf-aig-skip-cache' }),
  }),
});

/** The options generate and chat share, as GraphQL input fields. */
export const generationOptionFields = (t: Parameters<Parameters<typeof builder.inputType>[1]['fields']>[0]) => ({
  model: t.string({ required: true, description: 'e.g. "openai/gpt-5.5", "anthropic/claude-sonnet-4-5", "@cf/moonshotai/kimi-k2.6"' }),
  system: t.string(),
  maxTokens: t.int(),
  temperature: t.float(),
  api: t.field({ type: UpstreamApiEnum, description: 'Force an endpoint; by default chosen per model' }),
  gatewayId: t.string({ description: "Overrides the caller's chosen gateway" }),
  cache: t.field({ type: CacheInputRef }),
  metadata: t.field({ type: 'JSON', description: '-> cf-aig-metadata (at most 5 flat entries)' }),
  idempotencyKey: t.string(),
  ...featureOptionFields(t),
});

export const GenerateInputRef = builder.inputType('GenerateInput', {
  fields: (t) => ({
    ...generationOptionFields(t),
    prompt: t.string({ description: 'Either prompt or messages' }),
    messages: t.field({ type: [MessageInputRef] }),
  }),
});

export const UsageRef = builder.objectRef<GenerationUsage>('Usage').implement({
  fields: (t) => ({
    inputTokens: t.exposeInt('inputTokens'),
    outputTokens: t.exposeInt('outputTokens'),
    cachedInputTokens: t.exposeInt('cachedInputTokens'),
    cacheWriteTokens: t.exposeInt('cacheWriteTokens'),
    reasoningTokens: t.exposeInt('reasoningTokens'),
    totalTokens: t.exposeInt('totalTokens'),
    costUsd: t.exposeString('costUsd', { nullable: true, description: 'Decimal string; null when the model has no price' }),
    estimated: t.exposeBoolean('estimated', { description: 'The upstream reported no usage (client left, stream cut, crash): the tokens are estimated' }),
    modality: t.field({ type: ModalityEnum, description: 'What the call produced', resolve: (u) => u.modality ?? 'TEXT' }),
    images: t.int({ description: 'Images generated (IMAGE)', resolve: (u) => u.images ?? 0 }),
    imageTiles: t.int({ description: 'Billed 512x512 tiles of the generated images (IMAGE)', resolve: (u) => u.imageTiles ?? 0 }),
    imageSteps: t.int({ description: 'Billed diffusion steps (IMAGE)', resolve: (u) => u.imageSteps ?? 0 }),
    audioSeconds: t.float({ description: 'Billed audio seconds: the input (TRANSCRIPTION) or the generated audio (SPEECH)', resolve: (u) => Number(u.audioSeconds ?? 0) }),
    characters: t.int({ description: 'Billed input characters (SPEECH)', resolve: (u) => u.characters ?? 0 }),
  }),
});

export const GenerationRef = builder.objectRef<Generation>('Generation').implement({
  fields: (t) => ({
    id: t.exposeID('id', { description: "The usage record's id" }),
    text: t.exposeString('text'),
    model: t.exposeString('model', { description: 'As requested' }),
    // A generation kept for idempotent replay before these fields existed has neither: the requested model, no hit.
    servedModel: t.string({ description: 'The model that served the call: the full id from cf-aig-model / cf-aig-routed-model (dynamic routes, the Auto Router), else the requested one', resolve: (g) => g.servedModel ?? g.model }),
    cacheHit: t.boolean({ description: "Answered from AI Gateway's cache (cf-aig-cache-status: HIT): cost 0", resolve: (g) => g.cacheHit ?? false }),
    api: t.field({ type: UpstreamApiEnum, resolve: (g) => g.api }),
    gatewayId: t.exposeString('gatewayId'),
    finishReason: t.exposeString('finishReason', { nullable: true, description: 'Normalized: stop, length, tool_calls, content_filter' }),
    rawFinishReason: t.exposeString('rawFinishReason', { nullable: true, description: "The provider's own finish / stop reason" }),
    toolCalls: t.field({ type: [ToolCallRef], resolve: (g) => g.toolCalls }),
    json: t.field({ type: 'JSON', nullable: true, description: 'The parsed JSON when JSON was asked and it parsed and matched the schema', resolve: (g) => g.json }),
    jsonError: t.field({ type: JsonErrorRef, nullable: true, resolve: (g) => g.jsonError }),
    reasoningText: t.exposeString('reasoningText', { nullable: true }),
    usage: t.field({ type: UsageRef, resolve: (g) => g.usage }),
    cacheStatus: t.exposeString('cacheStatus', { nullable: true, description: 'cf-aig-cache-status' }),
    upstreamLogId: t.exposeString('upstreamLogId', { nullable: true, description: 'cf-aig-log-id' }),
    latencyMs: t.exposeInt('latencyMs'),
    timeToFirstTokenMs: t.exposeInt('timeToFirstTokenMs', { nullable: true }),
  }),
});

export const TextDeltaRef = builder.objectRef<TextDeltaEvent>('TextDelta').implement({
  isTypeOf: (v) => (v as { type?: string }).type === 'delta',
  fields: (t) => ({ index: t.exposeInt('index'), text: t.exposeString('text') }),
});

type CompletedEvent = Extract<GenerationEvent, { type: 'completed' }>;
const GenerationCompletedRef = builder.objectRef<CompletedEvent>('GenerationCompleted').implement({
  isTypeOf: (v) => (v as { type?: string }).type === 'completed' && 'generation' in (v as object),
  fields: (t) => ({ generation: t.field({ type: GenerationRef, resolve: (e) => e.generation }) }),
});

const GenerationEventRef = builder.unionType('GenerationEvent', { types: [TextDeltaRef, ToolCallDeltaRef, ReasoningDeltaRef, GenerationCompletedRef] });

/** Per-call options from the GraphQL context: transport name, signal, Idempotency-Key header. */
export function callOptions(ctx: GraphQLContext) {
  return { transport: ctx.transport, surface: 'GRAPHQL' as const, signal: ctx.signal, idempotencyKey: ctx.idempotencyKey };
}

builder.mutationField('generate', (t) =>
  t.field({
    type: GenerationRef,
    args: { input: t.arg({ type: GenerateInputRef, required: true }) },
    resolve: (_root, args, ctx) => ctx.services.generation.generate(principalOf(ctx), parseInput(generateInput, args.input), callOptions(ctx)),
  }),
);

builder.subscriptionField('generateStream', (t) =>
  t.field({
    type: GenerationEventRef,
    args: { input: t.arg({ type: GenerateInputRef, required: true }) },
    subscribe: (_root, args, ctx) => {
      const principal = principalOf(ctx);
      const input = parseInput(generateInput, args.input);
      return ctx.services.generation.generateStream(principal, input, callOptions(ctx));
    },
    resolve: (event: GenerationEvent) => event,
  }),
);
