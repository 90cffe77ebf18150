// The non-text models Switchboard knows (workers-ai-modalities.md §1-§4): what each produces and
// what its input takes. Every model here has a price in the committed price file; any model not
// listed is a TEXT model.
import type { Modality } from '../../upstream/call-vocabulary.ts';

export interface EmbeddingModel {
  modality: 'EMBEDDING';
  /** Texts per call the model takes. */
  maxTexts: number;
  dimensions: number;
}

export interface ImageModel {
  modality: 'IMAGE';
  /** The model takes width / height (else it draws its fixed size: defaultSize). */
  sized: boolean;
  defaultSize: number;
  maxSize: number;
  defaultSteps: number;
  maxSteps: number;
  maxPromptChars: number;
  /** The model takes seed and negative_prompt. */
  seeded: boolean;
}

export interface TranscriptionModel {
  modality: 'TRANSCRIPTION';
}

export interface SpeechModel {
  modality: 'SPEECH';
  /** Billed per 1,000 input characters (Aura) or per minute of generated audio (MeloTTS). */
  billedOn: 'characters' | 'audioMinutes';
  voices?: readonly string[];
}

export type ModalityModel = EmbeddingModel | ImageModel | TranscriptionModel | SpeechModel;

const embedding = (dimensions: number, maxTexts = 100): EmbeddingModel => ({ modality: 'EMBEDDING', maxTexts, dimensions });

const AURA_1_VOICES = ['angus', 'asteria', 'arcas', 'orion', 'orpheus', 'athena', 'luna', 'zeus', 'perseus', 'helios', 'hera', 'stella'] as const;

export const MODALITY_MODELS: Readonly<Record<string, ModalityModel>> = {
  '@cf/baai/bge-m3': embedding(1024),
  '@cf/baai/bge-base-en-v1.5': embedding(768),
  '@cf/baai/bge-small-en-v1.5': embedding(384),
  '@cf/baai/bge-large-en-v1.5': embedding(1024),
  '@cf/qwen/qwen3-embedding-0.6b': embedding(1024, 32),
  '@cf/black-forest-labs/flux-1-schnell': { modality: 'IMAGE', sized: false, defaultSize: 1024, maxSize: 1024, defaultSteps: 4, maxSteps: 8, maxPromptChars: 2048, seeded: false },
  '@cf/leonardo/lucid-origin': { modality: 'IMAGE', sized: true, defaultSize: 1120, maxSize: 2500, defaultSteps: 20, maxSteps: 40, maxPromptChars: 2048, seeded: true },
  '@cf/leonardo/phoenix-1.0': { modality: 'IMAGE', sized: true, defaultSize: 1024, maxSize: 2048, defaultSteps: 25, maxSteps: 50, maxPromptChars: 2048, seeded: true },
  '@cf/openai/whisper-large-v3-turbo': { modality: 'TRANSCRIPTION' },
  '@cf/deepgram/nova-3': { modality: 'TRANSCRIPTION' },
  '@cf/myshell-ai/melotts': { modality: 'SPEECH', billedOn: 'audioMinutes' },
  '@cf/deepgram/aura-1': { modality: 'SPEECH', billedOn: 'characters', voices: AURA_1_VOICES },
  '@cf/deepgram/aura-2-en': { modality: 'SPEECH', billedOn: 'characters' },
  '@cf/deepgram/aura-2-es': { modality: 'SPEECH', billedOn: 'characters' },
};

export const modalityOf = (model: string): Modality => MODALITY_MODELS[model]?.modality ?? 'TEXT';
