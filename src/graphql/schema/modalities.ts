// GraphQL: embed, generateImage, transcribe, speak (contract "Every modality of the universal endpoint").
import type { MediaData, TranscriptSegment } from '../../upstream/call-vocabulary.ts';
import type { Embeddings, ImageGeneration, Speech, Transcription } from '../../domain/modalities/modality-view.ts';
import { EMBEDDING_ENCODINGS, embedInput, generateImageInput, speakInput, transcribeInput } from '../../domain/modalities/schemas.ts';
import { parseInput } from '../../domain/validation.ts';
import { builder, principalOf } from '../builder.ts';
import { callOptions, UsageRef } from './generation.ts';

const EmbeddingEncodingEnum = builder.enumType('EmbeddingEncoding', {
  description: 'FLOAT: vectors as numbers (default); BASE64: each vector as float32 little-endian bytes, base64',
  values: EMBEDDING_ENCODINGS,
});

/** The fields every modality call shares with generate. */
const callFields = (t: Parameters<Parameters<typeof builder.inputType>[1]['fields']>[0]) => ({
  model: t.string({ required: true, description: 'A model of the modality (the models query gives each model\'s modality)' }),
  gatewayId: t.id({ description: "Overrides the caller's chosen gateway" }),
  metadata: t.field({ type: 'JSON', description: '-> cf-aig-metadata and the row\'s tags (at most 5 flat entries)' }),
  idempotencyKey: t.string(),
});

const EmbedInputRef = builder.inputType('EmbedInput', {
  fields: (t) => ({
    ...callFields(t),
    texts: t.stringList({ required: true, description: '1-100 texts' }),
    dimensions: t.int({ description: "The vectors' dimension (must be the model's)" }),
    encoding: t.field({ type: EmbeddingEncodingEnum }),
  }),
});

const GenerateImageInputRef = builder.inputType('GenerateImageInput', {
  fields: (t) => ({
    ...callFields(t),
    prompt: t.string({ required: true }),
    negativePrompt: t.string(),
    width: t.int(),
    height: t.int(),
    steps: t.int(),
    seed: t.int(),
  }),
});

const AudioInputRef = builder.inputType('AudioInput', {
  description: 'Audio as base64 data (with its media type) or a URL; at most MAX_AUDIO_BYTES decoded',
  fields: (t) => ({
    data: t.string({ description: 'base64' }),
    mediaType: t.string({ description: 'e.g. audio/wav, audio/mpeg' }),
    url: t.string({ description: 'An http(s) URL Switchboard reads the audio from' }),
  }),
});

const TranscribeInputRef = builder.inputType('TranscribeInput', {
  fields: (t) => ({
    ...callFields(t),
    audio: t.field({ type: AudioInputRef, required: true }),
    language: t.string({ description: 'e.g. "en"' }),
  }),
});

const SpeakInputRef = builder.inputType('SpeakInput', {
  fields: (t) => ({
    ...callFields(t),
    text: t.string({ required: true }),
    voice: t.string({ description: 'e.g. "luna" (Aura models)' }),
    language: t.string({ description: 'e.g. "en" (MeloTTS)' }),
  }),
});

const EmbeddingsRef = builder.objectRef<Embeddings>('Embeddings').implement({
  fields: (t) => ({
    id: t.exposeID('id', { description: "The usage record's id" }),
    model: t.exposeString('model'),
    vectors: t.field({ type: t.listRef(t.listRef('Float')), nullable: true, description: 'FLOAT encoding: one vector per text, in order', resolve: (e) => e.vectors }),
    base64Vectors: t.stringList({ nullable: true, description: 'BASE64 encoding: one vector per text (float32 little-endian), in order', resolve: (e) => e.base64Vectors }),
    dimensions: t.exposeInt('dimensions'),
    usage: t.field({ type: UsageRef, resolve: (e) => e.usage }),
  }),
});

const GeneratedImageRef = builder.objectRef<MediaData>('GeneratedImage').implement({
  fields: (t) => ({ mediaType: t.exposeString('mediaType'), data: t.exposeString('data', { description: 'base64' }) }),
});

const ImageGenerationRef = builder.objectRef<ImageGeneration>('ImageGeneration').implement({
  fields: (t) => ({
    id: t.exposeID('id', { description: "The usage record's id" }),
    model: t.exposeString('model'),
    images: t.field({ type: [GeneratedImageRef], resolve: (g) => g.images }),
    usage: t.field({ type: UsageRef, resolve: (g) => g.usage }),
  }),
});

const TranscriptSegmentRef = builder.objectRef<TranscriptSegment>('TranscriptSegment').implement({
  fields: (t) => ({ start: t.exposeFloat('start'), end: t.exposeFloat('end'), text: t.exposeString('text') }),
});

const TranscriptionRef = builder.objectRef<Transcription>('Transcription').implement({
  fields: (t) => ({
    id: t.exposeID('id', { description: "The usage record's id" }),
    model: t.exposeString('model'),
    text: t.exposeString('text'),
    language: t.exposeString('language', { nullable: true }),
    durationSeconds: t.exposeFloat('durationSeconds', { nullable: true }),
    segments: t.field({ type: [TranscriptSegmentRef], resolve: (r) => r.segments }),
    usage: t.field({ type: UsageRef, resolve: (r) => r.usage }),
  }),
});

const GeneratedAudioRef = builder.objectRef<MediaData>('GeneratedAudio').implement({
  fields: (t) => ({ mediaType: t.exposeString('mediaType'), data: t.exposeString('data', { description: 'base64' }) }),
});

const SpeechRef = builder.objectRef<Speech>('Speech').implement({
  fields: (t) => ({
    id: t.exposeID('id', { description: "The usage record's id" }),
    model: t.exposeString('model'),
    audio: t.field({ type: GeneratedAudioRef, resolve: (s) => s.audio }),
    usage: t.field({ type: UsageRef, resolve: (s) => s.usage }),
  }),
});

builder.mutationField('embed', (t) =>
  t.field({
    type: EmbeddingsRef,
    description: 'Vectors for 1-100 texts',
    args: { input: t.arg({ type: EmbedInputRef, required: true }) },
    resolve: (_root, args, ctx) => ctx.services.modalities.embed(principalOf(ctx), parseInput(embedInput, args.input), callOptions(ctx)),
  }),
);

builder.mutationField('generateImage', (t) =>
  t.field({
    type: ImageGenerationRef,
    description: 'Text to image',
    args: { input: t.arg({ type: GenerateImageInputRef, required: true }) },
    resolve: (_root, args, ctx) => ctx.services.modalities.generateImage(principalOf(ctx), parseInput(generateImageInput, args.input), callOptions(ctx)),
  }),
);

builder.mutationField('transcribe', (t) =>
  t.field({
    type: TranscriptionRef,
    description: 'Speech to text',
    args: { input: t.arg({ type: TranscribeInputRef, required: true }) },
    resolve: (_root, args, ctx) => ctx.services.modalities.transcribe(principalOf(ctx), parseInput(transcribeInput, args.input), callOptions(ctx)),
  }),
);

builder.mutationField('speak', (t) =>
  t.field({
    type: SpeechRef,
    description: 'Text to speech',
    args: { input: t.arg({ type: SpeakInputRef, required: true }) },
    resolve: (_root, args, ctx) => ctx.services.modalities.speak(principalOf(ctx), parseInput(speakInput, args.input), callOptions(ctx)),
  }),
);
