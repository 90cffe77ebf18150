// The planners: each modality's input as a task for the call core (call-runner.ts), with the
// upper bounds its reservation holds (input tokens for embeddings, units for the rest) and how
// its result is billed. Everything here runs before admission: a bad input is BAD_INPUT before
// anything is reserved or sent.
import { badInput } from '../../platform/errors.ts';
import { noUnits, type BilledUnits, type ModalityTask, type UpstreamResult } from '../../upstream/call-vocabulary.ts';
import type { TaskPlan } from '../generation/call-runner.ts';
import { wavDurationSeconds } from '../../upstream/formats/modalities.ts';
import { MODALITY_MODELS, type EmbeddingModel, type ImageModel, type ModalityModel, type SpeechModel } from './catalogue.ts';
import type { EmbedInput, GenerateImageInput, SpeakInput } from './schemas.ts';

export interface Planned {
  task: ModalityTask;
  plan: TaskPlan;
}

const TILE = 512;
/** Tokens a text may take at most: one per UTF-8 byte (byte-level tokenizers never merge less) plus the start and end markers. */
const EMBEDDING_MARKERS = 2;
/** Generated speech billed per minute: reserved as at most this long per character (slow speech is ~0.1 s). */
const SPEECH_SECONDS_PER_CHAR = 0.5;
const SPEECH_SECONDS_FLOOR = 2;
/** Compressed audio of unknown duration: at least 8 kbit/s, so its duration is at most bytes / 1000 seconds. */
const MIN_AUDIO_BYTES_PER_SECOND = 1_000;

function modelOf<M extends ModalityModel['modality']>(model: string, modality: M, what: string): Extract<ModalityModel, { modality: M }> {
  const known = MODALITY_MODELS[model];
  if (!known || known.modality !== modality) throw badInput('model', `${model} is not ${what} model (the models query lists each model's modality)`);
  return known as Extract<ModalityModel, { modality: M }>;
}

const seconds3 = (s: number) => Math.ceil(s * 1000) / 1000;

export function planEmbed(input: EmbedInput): Planned {
  const model: EmbeddingModel = modelOf(input.model, 'EMBEDDING', 'an embedding');
  if (input.texts.length > model.maxTexts) throw badInput('texts', `${input.model} takes at most ${model.maxTexts} texts a call`);
  if (input.dimensions != null && input.dimensions !== model.dimensions) throw badInput('dimensions', `${input.model} gives ${model.dimensions}-dimensional vectors`);
  const inputTokens = input.texts.reduce((n, t) => n + Buffer.byteLength(t) + EMBEDDING_MARKERS, 0);
  return {
    task: { kind: 'EMBEDDING', texts: input.texts },
    plan: { inputTokens, units: noUnits(), unitsOf: () => noUnits() },
  };
}

export function planImage(input: GenerateImageInput): Planned {
  const model: ImageModel = modelOf(input.model, 'IMAGE', 'an image');
  if (input.prompt.length > model.maxPromptChars) throw badInput('prompt', `${input.model} takes prompts of at most ${model.maxPromptChars} characters`);
  // A model of one size (flux-1-schnell's schema takes no width or height) accepts its own size, asked for or not.
  const otherSize = (side: number | null | undefined) => side != null && side !== model.defaultSize;
  if (!model.sized && (otherSize(input.width) || otherSize(input.height))) {
    throw badInput(otherSize(input.width) ? 'width' : 'height', `${input.model} draws ${model.defaultSize}x${model.defaultSize} images only: leave width and height out`);
  }
  if (!model.seeded && (input.seed != null || input.negativePrompt != null)) throw badInput(input.seed != null ? 'seed' : 'negativePrompt', `${input.model} takes neither seed nor negativePrompt`);
  const width = input.width ?? model.defaultSize;
  const height = input.height ?? model.defaultSize;
  if (width > model.maxSize || height > model.maxSize) throw badInput(width > model.maxSize ? 'width' : 'height', `${input.model} draws at most ${model.maxSize} pixels a side`);
  const steps = input.steps ?? model.defaultSteps;
  if (steps > model.maxSteps) throw badInput('steps', `${input.model} takes at most ${model.maxSteps} steps`);
  const units: BilledUnits = { ...noUnits(), images: 1, imageTiles: Math.ceil(width / TILE) * Math.ceil(height / TILE), imageSteps: steps };
  return {
    task: {
      kind: 'IMAGE',
      prompt: input.prompt,
      steps,
      ...(model.sized && { width, height }),
      ...(input.seed != null && { seed: input.seed }),
      ...(input.negativePrompt != null && { negativePrompt: input.negativePrompt }),
    },
    plan: {
      inputTokens: 0,
      units,
      unitsOf: (result) => (result.output?.kind === 'IMAGE' ? { ...units, images: result.output.images.length, imageTiles: units.imageTiles * result.output.images.length } : units),
    },
  };
}

/** Audio already read (decoded, within MAX_AUDIO_BYTES): billed on the duration the upstream reports, else measured, else the bound. */
export function planTranscription(model: string, audio: Buffer, mediaType: string | undefined, language: string | undefined): Planned {
  modelOf(model, 'TRANSCRIPTION', 'a transcription');
  const measured = wavDurationSeconds(audio);
  const bound = seconds3(measured ?? audio.length / MIN_AUDIO_BYTES_PER_SECOND);
  const units = { ...noUnits(), audioSeconds: bound };
  return {
    task: { kind: 'TRANSCRIPTION', audio, ...(mediaType && { mediaType }), ...(language && { language }) },
    plan: {
      inputTokens: 0,
      units,
      unitsOf: (result: UpstreamResult) => ({ ...noUnits(), audioSeconds: seconds3(result.reportedUnits?.audioSeconds ?? measured ?? bound) }),
    },
  };
}

export function planSpeech(input: SpeakInput): Planned {
  const model: SpeechModel = modelOf(input.model, 'SPEECH', 'a speech');
  if (input.voice != null && model.voices && !model.voices.includes(input.voice)) throw badInput('voice', `${input.model} speaks with ${model.voices.join(', ')}`);
  if (input.voice != null && model.billedOn === 'audioMinutes') throw badInput('voice', `${input.model} has one voice: leave voice out`);
  const characters = [...input.text].length;
  const units: BilledUnits = model.billedOn === 'characters'
    ? { ...noUnits(), characters }
    : { ...noUnits(), characters, audioSeconds: seconds3(SPEECH_SECONDS_FLOOR + characters * SPEECH_SECONDS_PER_CHAR) };
  return {
    task: { kind: 'SPEECH', text: input.text, ...(input.voice != null && { voice: input.voice }), ...(input.language != null && { language: input.language }) },
    plan: {
      inputTokens: 0,
      units,
      unitsOf: (result) => {
        const produced = result.output?.kind === 'SPEECH' ? result.output.durationSeconds : undefined;
        // Per minute: the generated audio's length (the bound when it cannot be measured); per character: the text.
        return { ...units, audioSeconds: produced !== undefined ? seconds3(produced) : units.audioSeconds };
      },
    },
  };
}
