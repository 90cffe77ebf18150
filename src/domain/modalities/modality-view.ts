// What embed, generateImage, transcribe and speak return (contract "Every modality of the
// universal endpoint"): the row's id, the model as requested, the output and the row's usage.
import type { MediaData, TranscriptSegment } from '../../upstream/call-vocabulary.ts';
import type { GenerationUsage } from '../generation/generation-view.ts';

export interface Embeddings {
  id: string;
  model: string;
  /** FLOAT encoding (default); null with BASE64. */
  vectors: number[][] | null;
  /** BASE64 encoding: each vector as float32 little-endian bytes, base64; null with FLOAT. */
  base64Vectors: string[] | null;
  dimensions: number;
  usage: GenerationUsage;
}

export interface ImageGeneration {
  id: string;
  model: string;
  images: MediaData[];
  usage: GenerationUsage;
}

export interface Transcription {
  id: string;
  model: string;
  text: string;
  language: string | null;
  durationSeconds: number | null;
  segments: TranscriptSegment[];
  usage: GenerationUsage;
}

export interface Speech {
  id: string;
  model: string;
  audio: MediaData;
  usage: GenerationUsage;
}

/** A vector as float32 little-endian bytes, base64 (what OpenAI's encoding_format "base64" gives). */
export function float32Base64(vector: readonly number[]): string {
  const bytes = Buffer.alloc(vector.length * 4);
  vector.forEach((x, i) => bytes.writeFloatLE(x, i * 4));
  return bytes.toString('base64');
}
