// The simulator's non-text models (workers-ai-modalities.md): embeddings over /ai/v1/embeddings
// and /ai/run, images, transcription and speech over /ai/run (universal {model, input}) and
// /ai/run/@cf/{model}. Replies are deterministic: stable unit vectors from a hash of each text, a
// real small PNG whose colour comes from the prompt, a transcript that states the audio's
// duration (read from its WAV header), and a real WAV tone as long as the text needs.
import { createHash } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import { BadSimRequest } from './formats/index.ts';

export type SimModality = 'EMBEDDING' | 'IMAGE' | 'TRANSCRIPTION' | 'SPEECH';

interface SimModel {
  kind: SimModality;
  dimensions?: number;
  /** Embeddings: how usage is reported (usage object, bge-m3's meta, or none). */
  usage?: 'usage' | 'meta' | 'none';
  /** Speech / image: the reply is raw bytes instead of JSON base64. */
  binary?: boolean;
  /** Transcription: raw audio bytes as the body (Deepgram's REST form). */
  rawAudio?: boolean;
}

export const SIM_MODALITY_MODELS: Readonly<Record<string, SimModel>> = {
  '@cf/baai/bge-m3': { kind: 'EMBEDDING', dimensions: 1024, usage: 'meta' },
  '@cf/baai/bge-base-en-v1.5': { kind: 'EMBEDDING', dimensions: 768, usage: 'usage' },
  '@cf/baai/bge-small-en-v1.5': { kind: 'EMBEDDING', dimensions: 384, usage: 'usage' },
  '@cf/baai/bge-large-en-v1.5': { kind: 'EMBEDDING', dimensions: 1024, usage: 'usage' },
  '@cf/qwen/qwen3-embedding-0.6b': { kind: 'EMBEDDING', dimensions: 1024, usage: 'usage' },
  '@cf/google/embeddinggemma-300m': { kind: 'EMBEDDING', dimensions: 768, usage: 'none' },
  '@cf/black-forest-labs/flux-1-schnell': { kind: 'IMAGE' },
  '@cf/leonardo/lucid-origin': { kind: 'IMAGE' },
  '@cf/leonardo/phoenix-1.0': { kind: 'IMAGE' },
  '@cf/stabilityai/stable-diffusion-xl-base-1.0': { kind: 'IMAGE', binary: true },
  '@cf/openai/whisper-large-v3-turbo': { kind: 'TRANSCRIPTION' },
  '@cf/deepgram/nova-3': { kind: 'TRANSCRIPTION', rawAudio: true },
  '@cf/myshell-ai/melotts': { kind: 'SPEECH' },
  '@cf/deepgram/aura-1': { kind: 'SPEECH', binary: true },
  '@cf/deepgram/aura-2-en': { kind: 'SPEECH', binary: true },
  '@cf/deepgram/aura-2-es': { kind: 'SPEECH', binary: true },
};

/** A parsed modality request: the model, its input, and the text a fault directive may hide in. */
export interface ModalityRequest {
  model: string;
  spec: SimModel;
  /** /ai/v1/embeddings (OpenAI list reply) rather than /ai/run (v4 envelope). */
  openAi: boolean;
  input: Record<string, unknown>;
  rawBody: Buffer;
  directiveText: string;
}

export interface ModalityReply {
  contentType: string;
  body: Buffer;
  /** Input tokens reported (embeddings), for the gateway log. */
  tokensIn: number | null;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The modality request at this endpoint, or undefined when it is a text model (the chat formats handle those). */
export function parseModalityRequest(rest: string, body: unknown, rawBody: Buffer, pathModel: string | undefined, query: URLSearchParams): ModalityRequest | undefined {
  if (rest !== 'ai/run' && rest !== 'ai/v1/embeddings') return undefined;
  const openAi = rest === 'ai/v1/embeddings';
  const model = pathModel ?? (isRecord(body) && typeof body.model === 'string' ? body.model : undefined);
  const spec = model ? SIM_MODALITY_MODELS[model] : undefined;
  if (openAi && (!model || !spec || spec.kind !== 'EMBEDDING')) throw new BadSimRequest(`${model ?? 'model'} is not an embedding model`);
  if (!model || !spec) return undefined;
  if (spec.rawAudio && pathModel) return { model, spec, openAi, input: Object.fromEntries(query), rawBody, directiveText: '' };
  if (!isRecord(body)) throw new BadSimRequest('request body is not a JSON object');
  const input = openAi ? body : pathModel ? body : body.input;
  if (!isRecord(input)) throw new BadSimRequest('input is required');
  const texts = openAi ? input.input : input.text;
  const directiveText = [input.prompt, input.text, ...(Array.isArray(texts) ? texts : [texts])].filter((t): t is string => typeof t === 'string').join(' ');
  return { model, spec, openAi, input, rawBody, directiveText };
}

const seedOf = (text: string) => createHash('sha256').update(text).digest();

/** A stable unit vector for a text. */
export function simulatedVector(text: string, dimensions: number): number[] {
  const values: number[] = [];
  for (let block = 0; values.length < dimensions; block++) {
    const digest = seedOf(`${block}:${text}`);
    for (let i = 0; i + 1 < digest.length && values.length < dimensions; i += 2) values.push(digest.readUInt16BE(i) / 32_767.5 - 1);
  }
  const norm = Math.sqrt(values.reduce((s, v) => s + v * v, 0)) || 1;
  return values.map((v) => Math.round((v / norm) * 1e6) / 1e6);
}

/** Tokens the simulator reports for a text: a quarter of its bytes, plus start and end markers. */
export const simulatedTokens = (text: string) => Math.ceil(Buffer.byteLength(text) / 4) + 2;

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc32 = (bytes: Buffer) => {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};
function pngChunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** A real 16x16 RGB PNG: a diagonal gradient in the prompt's colour. */
export function simulatedPng(prompt: string): Buffer {
  const [r, g, b] = seedOf(prompt);
  const size = 16;
  const rows: Buffer[] = [];
  for (let y = 0; y < size; y++) {
    const row = Buffer.alloc(1 + size * 3);
    for (let x = 0; x < size; x++) {
      const shade = (x + y) * 4;
      row[1 + x * 3] = (r! + shade) & 0xff;
      row[2 + x * 3] = (g! + shade) & 0xff;
      row[3 + x * 3] = (b! + shade) & 0xff;
    }
    rows.push(row);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), pngChunk('IHDR', ihdr), pngChunk('IDAT', deflateSync(Buffer.concat(rows))), pngChunk('IEND', Buffer.alloc(0))]);
}

const SAMPLE_RATE = 8_000;

/** A real WAV file (8 kHz, 16-bit mono): a 440 Hz tone of `seconds`. */
export function simulatedWav(seconds: number): Buffer {
  const samples = Math.round(seconds * SAMPLE_RATE);
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'latin1');
  header.writeUInt32LE(36 + samples * 2, 4);
  header.write('WAVEfmt ', 8, 'latin1');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // mono
  header.writeUInt32LE(SAMPLE_RATE, 24);
  header.writeUInt32LE(SAMPLE_RATE * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'latin1');
  header.writeUInt32LE(samples * 2, 40);
  const data = Buffer.alloc(samples * 2);
  for (let i = 0; i < samples; i++) data.writeInt16LE(Math.round(Math.sin((2 * Math.PI * 440 * i) / SAMPLE_RATE) * 8_000), i * 2);
  return Buffer.concat([header, data]);
}

/** Seconds of speech the simulator makes for a text: 0.06 s a character, 0.5 s at least, 60 s at most. */
export const simulatedSpeechSeconds = (text: string) => Math.min(60, Math.max(0.5, Math.round([...text].length * 0.06 * 1000) / 1000));

/** The duration of WAV audio (its header), else 16 kB a second. */
function audioSeconds(bytes: Buffer): number {
  if (bytes.length >= 44 && bytes.toString('latin1', 0, 4) === 'RIFF' && bytes.toString('latin1', 8, 12) === 'WAVE') {
    const byteRate = bytes.readUInt32LE(28);
    const dataSize = bytes.readUInt32LE(40);
    if (byteRate > 0) return Math.round((Math.min(dataSize, bytes.length - 44) / byteRate) * 1000) / 1000;
  }
  return Math.round((bytes.length / 16_000) * 1000) / 1000;
}

const json = (value: unknown, tokensIn: number | null = null): ModalityReply => ({ contentType: 'application/json', body: Buffer.from(JSON.stringify(value)), tokensIn });
const envelope = (result: unknown) => ({ result, success: true, errors: [], messages: [] });

/** The deterministic reply; a bad input throws BadSimRequest (400). */
export function modalityReply(req: ModalityRequest): ModalityReply {
  const { spec, input, model } = req;
  switch (spec.kind) {
    case 'EMBEDDING': {
      const raw = req.openAi ? input.input : input.text;
      const texts = typeof raw === 'string' ? [raw] : Array.isArray(raw) && raw.every((t) => typeof t === 'string' && t !== '') ? (raw as string[]) : undefined;
      if (!texts || texts.length === 0 || texts.length > 100) throw new BadSimRequest('text must be a non-empty string or 1-100 strings');
      const vectors = texts.map((t) => simulatedVector(t, spec.dimensions!));
      const tokens = texts.reduce((n, t) => n + simulatedTokens(t), 0);
      if (req.openAi) {
        return json({ object: 'list', data: vectors.map((embedding, index) => ({ object: 'embedding', index, embedding })), model, usage: { prompt_tokens: tokens, total_tokens: tokens } }, tokens);
      }
      const result = {
        shape: [vectors.length, spec.dimensions],
        data: vectors,
        pooling: 'mean',
        ...(spec.usage === 'usage' && { usage: { prompt_tokens: tokens, completion_tokens: 0, total_tokens: tokens } }),
        ...(spec.usage === 'meta' && { meta: { cost_metric_name_1: 'input_tokens', cost_metric_value_1: tokens } }),
      };
      return json(envelope(result), tokens);
    }
    case 'IMAGE': {
      if (typeof input.prompt !== 'string' || input.prompt === '') throw new BadSimRequest('prompt is required');
      const png = simulatedPng(input.prompt);
      return spec.binary ? { contentType: 'image/png', body: png, tokensIn: null } : json(envelope({ image: png.toString('base64') }));
    }
    case 'TRANSCRIPTION': {
      let audio: Buffer;
      if (spec.rawAudio && req.rawBody.length > 0 && !(typeof input.audio === 'string')) audio = req.rawBody;
      else if (typeof input.audio === 'string' && input.audio !== '') audio = Buffer.from(input.audio, 'base64');
      else throw new BadSimRequest('audio is required (base64)');
      const duration = audioSeconds(audio);
      const text = `Transcript of ${duration.toFixed(3)} seconds of audio.`;
      const language = typeof input.language === 'string' ? input.language : 'en';
      if (spec.rawAudio) {
        return json(envelope({ results: { channels: [{ alternatives: [{ confidence: 0.99, transcript: text, words: [] }] }] }, metadata: { duration } }));
      }
      return json(envelope({
        text,
        word_count: text.split(' ').length,
        segments: [{ start: 0, end: duration, text }],
        transcription_info: { language, language_probability: 1, duration, duration_after_vad: duration },
      }));
    }
    case 'SPEECH': {
      const text = typeof input.text === 'string' ? input.text : typeof input.prompt === 'string' ? input.prompt : undefined;
      if (!text) throw new BadSimRequest(spec.binary ? 'text is required' : 'prompt is required');
      const wav = simulatedWav(simulatedSpeechSeconds(text));
      return spec.binary ? { contentType: 'audio/wav', body: wav, tokensIn: null } : json(envelope({ audio: wav.toString('base64') }));
    }
  }
}
