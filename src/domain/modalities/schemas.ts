// Inputs of embed, generateImage, transcribe and speak: one zod schema each, used by tRPC's
// .input() and by the GraphQL resolvers alike. What depends on the model (its modality, step and
// size ranges, texts per call) and on configuration (MAX_AUDIO_BYTES) is checked by the planners.
import { z } from 'zod';
import { safeString } from '../safe-text.ts';
import { generationOptions } from '../generation/schemas.ts';

/** What every modality call shares with generate: model, gateway, metadata (tags), idempotency key. */
const callFields = generationOptions.pick({ model: true, gatewayId: true, metadata: true, idempotencyKey: true });

export const EMBEDDING_ENCODINGS = ['FLOAT', 'BASE64'] as const;
export type EmbeddingEncoding = (typeof EMBEDDING_ENCODINGS)[number];

export const embedInput = callFields.extend({
  texts: z.array(safeString().pipe(z.string().min(1, 'must not be empty').max(200_000))).min(1, 'give 1-100 texts').max(100, 'give 1-100 texts'),
  dimensions: z.number().int().positive().max(8192).optional().nullable(),
  encoding: z.enum(EMBEDDING_ENCODINGS).optional().nullable(),
});
export type EmbedInput = z.infer<typeof embedInput>;

export const generateImageInput = callFields.extend({
  prompt: safeString().pipe(z.string().trim().min(1, 'must not be empty').max(10_000)),
  negativePrompt: safeString().pipe(z.string().max(10_000)).optional().nullable(),
  width: z.number().int().min(64).max(4096).optional().nullable(),
  height: z.number().int().min(64).max(4096).optional().nullable(),
  steps: z.number().int().min(1).max(100).optional().nullable(),
  seed: z.number().int().min(0).max(4_294_967_295).optional().nullable(),
});
export type GenerateImageInput = z.infer<typeof generateImageInput>;

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export const audioInput = z
  .object({
    data: z.string().max(200_000_000).optional().nullable(),
    mediaType: z.string().regex(/^audio\/[a-z0-9.+-]{1,40}$/, 'must be an audio media type such as audio/wav').optional().nullable(),
    url: safeString().pipe(z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).max(2048)).optional().nullable(),
  })
  .superRefine((a, ctx) => {
    const hasData = typeof a.data === 'string';
    if (hasData === (typeof a.url === 'string')) ctx.addIssue({ code: 'custom', path: ['data'], message: 'give either data (base64) or url (exactly one)' });
    if (hasData && (a.data === '' || a.data!.length % 4 !== 0 || !BASE64.test(a.data!))) ctx.addIssue({ code: 'custom', path: ['data'], message: 'must be non-empty base64' });
  });
export type AudioInput = z.infer<typeof audioInput>;

const language = z.string().regex(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,2}$/, 'must be a language code such as "en" or "en-US"');

export const transcribeInput = callFields.extend({
  audio: audioInput,
  language: language.optional().nullable(),
});
export type TranscribeInput = z.infer<typeof transcribeInput>;

export const speakInput = callFields.extend({
  text: safeString().pipe(z.string().trim().min(1, 'must not be empty').max(100_000)),
  voice: z.string().regex(/^[a-z0-9_-]{1,40}$/, 'must be a voice name such as "luna"').optional().nullable(),
  language: language.optional().nullable(),
});
export type SpeakInput = z.infer<typeof speakInput>;
