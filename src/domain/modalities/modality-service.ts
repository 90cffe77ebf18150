// embed / generateImage / transcribe / speak: each a planner over the call core, exactly like
// generate: the gateway and door checks of the generation service, the call runner's admission
// (reserved as upper bounds), write-ahead rows per attempt, retries, idempotency and settlement.
// `embed` is also the domain method the OpenAI-compatible /v1/embeddings calls.
import { AppError, badInput } from '../../platform/errors.ts';
import type { UpstreamResult } from '../../upstream/call-vocabulary.ts';
import type { AudioFetcher } from '../../upstream/audio-fetch.ts';
import type { Principal } from '../access/principal.ts';
import { idempotencyKeyOf, type CallOptions } from '../call-options.ts';
import type { Idempotency } from '../idempotency/idempotency.ts';
import type { CallRunner, PreparedCall } from '../generation/call-runner.ts';
import { usageOf } from '../generation/attempt-row.ts';
import type { GenerationService } from '../generation/generation-service.ts';
import type { UsageRow } from '../ledger/usage-row.ts';
import { float32Base64, type Embeddings, type ImageGeneration, type Speech, type Transcription } from './modality-view.ts';
import { planEmbed, planImage, planSpeech, planTranscription, type Planned } from './planners.ts';
import type { EmbedInput, GenerateImageInput, SpeakInput, TranscribeInput } from './schemas.ts';

/** MAX_AUDIO_BYTES's default: 10 MiB of decoded audio. */
export const DEFAULT_MAX_AUDIO_BYTES = 10 * 1024 * 1024;

export interface ModalityServiceDeps {
  runner: CallRunner;
  generation: Pick<GenerationService, 'prepare'>;
  idempotency?: Idempotency;
  /** MAX_AUDIO_BYTES: the largest audio input, decoded. */
  maxAudioBytes?: number;
  fetchAudio: AudioFetcher;
}

type Operation = 'embed' | 'generateImage' | 'transcribe' | 'speak';

interface CommonInput {
  model: string;
  gatewayId?: string | null;
  metadata?: Record<string, string | number | boolean> | null;
  idempotencyKey?: string | null;
}

const outputOf = <K extends NonNullable<UpstreamResult['output']>['kind']>(result: UpstreamResult, kind: K): Extract<NonNullable<UpstreamResult['output']>, { kind: K }> => {
  if (result.output?.kind !== kind) throw new AppError('UPSTREAM_ERROR', `The upstream reply is not a ${kind.toLowerCase()} result`);
  return result.output as Extract<NonNullable<UpstreamResult['output']>, { kind: K }>;
};

/** Decoded size of base64 text without decoding it. */
const decodedLength = (b64: string): number => Math.floor((b64.length * 3) / 4) - (b64.endsWith('==') ? 2 : b64.endsWith('=') ? 1 : 0);

export function createModalityService({ runner, generation, idempotency, maxAudioBytes = DEFAULT_MAX_AUDIO_BYTES, fetchAudio }: ModalityServiceDeps) {
  /** The call as generate would prepare it (gateway resolved and checked), carrying the task and its plan. */
  async function prepare(principal: Principal, input: CommonInput, planned: Planned, call: CallOptions): Promise<PreparedCall> {
    const prepared = await generation.prepare(principal, { model: input.model, gatewayId: input.gatewayId, metadata: input.metadata }, [], undefined, call);
    return {
      request: { ...prepared.request, task: planned.task },
      // Only embeddings have an OpenAI-compatible path; every other modality runs on /ai/run.
      api: planned.task.kind === 'EMBEDDING' ? prepared.api : 'RUN',
      plan: planned.plan,
    };
  }

  /** One call, run once per idempotency key (a repeat returns the stored result without a call). */
  function once<T extends { id: string }>(operation: Operation, principal: Principal, input: CommonInput & Record<string, unknown>, call: CallOptions, run: (ctx: { idempotencyKey: string | undefined }) => Promise<T>): Promise<T> {
    const idempotencyKey = idempotencyKeyOf(call, input);
    if (!idempotency || !idempotencyKey) return run({ idempotencyKey });
    // The fields sent as they are belong to the input too: another body under the same key is a conflict.
    const hashed = call.extraBody ? { ...input, extraBody: call.extraBody } : input;
    return idempotency.run({ userId: principal.userId, key: idempotencyKey, operation, input: hashed, signal: call.signal, generationIdOf: (r) => r.id, run: () => run({ idempotencyKey }) });
  }

  async function runCall<T>(principal: Principal, input: CommonInput, call: CallOptions, idempotencyKey: string | undefined, planned: Planned, view: (row: UsageRow, result: UpstreamResult) => T): Promise<T> {
    const prepared = await prepare(principal, input, planned, call);
    return runner.completeWith(prepared, { ...call, principal, idempotencyKey }, {}, (row, result) => view(row, result));
  }

  function embed(principal: Principal, input: EmbedInput, call: CallOptions): Promise<Embeddings> {
    return once('embed', principal, input, call, async ({ idempotencyKey }) => {
      const planned = planEmbed(input);
      return runCall(principal, input, call, idempotencyKey, planned, (row, result) => {
        const { vectors } = outputOf(result, 'EMBEDDING');
        const base64 = input.encoding === 'BASE64';
        return {
          id: row.id,
          model: row.requestedModel,
          vectors: base64 ? null : vectors,
          base64Vectors: base64 ? vectors.map(float32Base64) : null,
          dimensions: vectors[0]?.length ?? 0,
          usage: usageOf(row),
        };
      });
    });
  }

  function generateImage(principal: Principal, input: GenerateImageInput, call: CallOptions): Promise<ImageGeneration> {
    return once('generateImage', principal, input, call, async ({ idempotencyKey }) => {
      const planned = planImage(input);
      return runCall(principal, input, call, idempotencyKey, planned, (row, result) => ({
        id: row.id,
        model: row.requestedModel,
        images: outputOf(result, 'IMAGE').images,
        usage: usageOf(row),
      }));
    });
  }

  /** The audio's bytes: inline base64 or read from its URL, never more than MAX_AUDIO_BYTES (BAD_INPUT before admission). */
  async function audioOf(input: TranscribeInput, signal: AbortSignal | undefined): Promise<{ bytes: Buffer; mediaType: string | undefined }> {
    const tooLarge = () => badInput('audio', `the audio is over the ${maxAudioBytes}-byte limit (MAX_AUDIO_BYTES, decoded)`);
    if (typeof input.audio.data === 'string') {
      if (decodedLength(input.audio.data) > maxAudioBytes) throw tooLarge();
      return { bytes: Buffer.from(input.audio.data, 'base64'), mediaType: input.audio.mediaType ?? undefined };
    }
    const fetched = await fetchAudio(input.audio.url!, maxAudioBytes, signal);
    if (fetched.bytes.length > maxAudioBytes) throw tooLarge();
    return { bytes: fetched.bytes, mediaType: input.audio.mediaType ?? fetched.mediaType };
  }

  function transcribe(principal: Principal, input: TranscribeInput, call: CallOptions): Promise<Transcription> {
    return once('transcribe', principal, input, call, async ({ idempotencyKey }) => {
      const audio = await audioOf(input, call.signal);
      const planned = planTranscription(input.model, audio.bytes, audio.mediaType, input.language ?? undefined);
      return runCall(principal, input, call, idempotencyKey, planned, (row, result) => {
        const out = outputOf(result, 'TRANSCRIPTION');
        return {
          id: row.id,
          model: row.requestedModel,
          text: out.text,
          language: out.language ?? input.language ?? null,
          durationSeconds: out.durationSeconds ?? (row.audioSeconds !== undefined ? Number(row.audioSeconds) : null),
          segments: out.segments,
          usage: usageOf(row),
        };
      });
    });
  }

  function speak(principal: Principal, input: SpeakInput, call: CallOptions): Promise<Speech> {
    return once('speak', principal, input, call, async ({ idempotencyKey }) => {
      const planned = planSpeech(input);
      return runCall(principal, input, call, idempotencyKey, planned, (row, result) => ({
        id: row.id,
        model: row.requestedModel,
        audio: outputOf(result, 'SPEECH').audio,
        usage: usageOf(row),
      }));
    });
  }

  return { embed, generateImage, transcribe, speak };
}

export type ModalityService = ReturnType<typeof createModalityService>;
