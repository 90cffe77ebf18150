// generate / generateStream: one prompt (or message list) to one model, recorded in the ledger.
import { AppError } from '../../platform/errors.ts';
import type { ChatMessage } from '../../upstream/call-vocabulary.ts';
import type { Principal } from '../access/principal.ts';
import type { UserSettingsCache } from '../access/user-settings.ts';
import type { GatewayRegistry } from '../gateways/gateway-registry.ts';
import type { Idempotency } from '../idempotency/idempotency.ts';
import { abortableStream } from '../abortable-stream.ts';
import { idempotencyKeyOf, type CallOptions } from '../call-options.ts';
import type { CallRunner } from './call-runner.ts';
import { assertWithinBudget, type ContextWindowPolicy } from './context-budget.ts';
import type { Generation, GenerationEvent } from './generation-view.ts';
import { checkImages, DEFAULT_MAX_IMAGE_BYTES, toChatMessage } from './message-input.ts';
import { assertFeaturesSupported } from './request-features.ts';
import type { GenerateInput, GenerationOptions } from './schemas.ts';

/** A generation as an idempotency key keeps it: with the wire of a keep-the-wire call. */
type StoredGeneration = Generation & { wire?: string[] };

export interface GenerationServiceDeps {
  runner: CallRunner;
  gateways: GatewayRegistry;
  userSettings: UserSettingsCache;
  maxMessageBytes: number;
  /** MAX_IMAGE_BYTES: the largest inline image (decoded). */
  maxImageBytes?: number;
  /** Idempotency keys for the generate mutation (absent: keys are only recorded). */
  idempotency?: Idempotency;
  /** MAX_CONTEXT_TOKENS: a generate over its model's budget is BAD_INPUT (absent: no cap). */
  contextWindow?: ContextWindowPolicy;
}

export type { CallOptions } from '../call-options.ts';

export function createGenerationService({ runner, gateways, userSettings, maxMessageBytes, maxImageBytes = DEFAULT_MAX_IMAGE_BYTES, idempotency, contextWindow }: GenerationServiceDeps) {
  /** The gateway for a call: the input's, else the user's chosen default, else the configured default. */
  async function gatewayFor(principal: Principal, requested: string | null | undefined): Promise<string> {
    if (requested) return gateways.assertUsable(requested);
    const { defaultGatewayId } = await userSettings.get(principal.userId);
    return gateways.assertUsable(defaultGatewayId ?? gateways.defaultGatewayId);
  }

  function checkSize(field: string, text: string | null | undefined): void {
    if (text != null && Buffer.byteLength(text) > maxMessageBytes) {
      throw new AppError('BAD_INPUT', `${field} is over the ${maxMessageBytes}-byte limit`, { field });
    }
  }

  /** Messages and system prompt for the upstream: system-role messages join the system prompt. */
  function conversationOf(input: GenerateInput): { messages: ChatMessage[]; system: string | undefined } {
    checkSize('system', input.system);
    if (typeof input.prompt === 'string') {
      checkSize('prompt', input.prompt);
      return withinBudget(input, { messages: [{ role: 'user', content: input.prompt }], system: input.system ?? undefined });
    }
    const all = input.messages ?? [];
    all.forEach((m, i) => {
      checkSize(`messages.${i}.content`, m.content);
      checkImages(m.images, `messages.${i}.images`, maxImageBytes);
    });
    const systems = all.filter((m) => m.role === 'system').map((m) => m.content);
    const system = [input.system, ...systems].filter((s): s is string => typeof s === 'string' && s !== '').join('\n\n');
    return withinBudget(input, { messages: all.filter((m) => m.role !== 'system').map(toChatMessage), system: system === '' ? undefined : system });
  }

  /** A generate sends exactly what it was given: over the model's context budget it is refused. */
  function withinBudget<T extends { messages: ChatMessage[]; system: string | undefined }>(input: GenerateInput, conversation: T): T {
    if (contextWindow) assertWithinBudget(input.model, conversation.system, conversation.messages, contextWindow, typeof input.prompt === 'string' ? 'prompt' : 'messages');
    return conversation;
  }

  async function prepare(principal: Principal, options: GenerationOptions, messages: ChatMessage[], system: string | undefined, call?: Pick<CallOptions, 'extraBody' | 'wire'>) {
    const gatewayId = await gatewayFor(principal, options.gatewayId);
    const prepared = runner.prepare({ ...options, system: system ?? null }, messages, gatewayId);
    assertFeaturesSupported(prepared.request, prepared.api);
    // The SDK surfaces: their own body's fields go along as they are, and the reply keeps its wire.
    if (call?.extraBody) prepared.request.extraBody = call.extraBody;
    if (call?.wire) prepared.request.wire = true;
    return prepared;
  }

  const checkImageSizes = (images: Parameters<typeof checkImages>[0], field: string) => checkImages(images, field, maxImageBytes);

  async function generate(principal: Principal, input: GenerateInput, call: CallOptions): Promise<Generation> {
    const idempotencyKey = idempotencyKeyOf(call, input);
    const once = async (wired: CallOptions) => {
      const { messages, system } = conversationOf(input);
      const prepared = await prepare(principal, input, messages, system, wired);
      return runner.complete(prepared, { ...wired, principal, idempotencyKey });
    };
    if (!idempotency || !idempotencyKey) return once(call);
    return idempotent(principal, input, call, idempotencyKey, 'generate', once);
  }

  /**
   * A call under an idempotency key: run once per (user, key, input), a repeat answered from the
   * first. A keep-the-wire call (the SDK surfaces) stores its wire (the upstream's body, or each
   * stream frame) beside its generation, and a repeat hands the same wire out again: the same
   * reply, byte for byte, ids included.
   */
  async function idempotent(
    principal: Principal,
    input: GenerateInput,
    call: CallOptions,
    key: string,
    operation: 'generate' | 'generateStream',
    once: (wired: CallOptions) => Promise<Generation>,
  ): Promise<Generation> {
    // The fields sent as they are belong to the input too: another body under the same key is a conflict.
    const hashed = call.extraBody ? { ...input, extraBody: call.extraBody } : input;
    let ran = false;
    const stored = await idempotency!.run<StoredGeneration>({
      userId: principal.userId,
      key,
      operation,
      input: hashed,
      signal: call.signal,
      generationIdOf: (g) => g.id,
      run: async () => {
        ran = true;
        const forward = call.wire;
        if (!forward) return once(call);
        const wire: string[] = [];
        const generation = await once({ ...call, wire: (text) => (wire.push(text), forward(text)) });
        return { ...generation, wire };
      },
    });
    const { wire, ...generation } = stored;
    if (!ran && wire) for (const text of wire) call.wire?.(text);
    return generation;
  }

  async function* streamEvents(principal: Principal, input: GenerateInput, call: CallOptions, idempotencyKey: string | undefined): AsyncGenerator<GenerationEvent> {
    const { messages, system } = conversationOf(input);
    const prepared = await prepare(principal, input, messages, system, call);
    const generation = yield* runner.stream(prepared, { ...call, principal, idempotencyKey });
    yield { type: 'completed', generation };
  }

  /**
   * A keep-the-wire stream (the SDK surfaces) under an idempotency key: the whole stream is the
   * idempotent unit; its frames go out as they come, and a repeat sends the stored frames.
   */
  async function* idempotentWireStream(principal: Principal, input: GenerateInput, call: CallOptions, key: string): AsyncGenerator<GenerationEvent> {
    const generation = await idempotent(principal, input, call, key, 'generateStream', async (wired) => {
      for await (const event of streamEvents(principal, input, wired, key)) if (event.type === 'completed') return event.generation;
      throw new Error('the stream ended without its generation');
    });
    yield { type: 'completed', generation };
  }

  /** The stream, stoppable at once by the caller's signal or by `return()` (a client that left). */
  function generateStream(principal: Principal, input: GenerateInput, call: CallOptions): AsyncIterableIterator<GenerationEvent> {
    const idempotencyKey = idempotencyKeyOf(call, input);
    // Only the SDK surfaces' streams are idempotent (their own wire can be replayed); the contract's
    // GraphQL and tRPC subscriptions record the key on their rows.
    if (idempotency && idempotencyKey && call.wire) {
      return abortableStream((signal) => idempotentWireStream(principal, input, { ...call, signal }, idempotencyKey), call.signal);
    }
    return abortableStream((signal) => streamEvents(principal, input, { ...call, signal }, idempotencyKey), call.signal);
  }

  return { generate, generateStream, prepare, checkSize, checkImages: checkImageSizes };
}

export type GenerationService = ReturnType<typeof createGenerationService>;
