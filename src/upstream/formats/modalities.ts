// The wire of the non-text modalities (workers-ai-modalities.md): embeddings over the
// OpenAI-compatible POST /ai/v1/embeddings or over /ai/run; images, transcription and speech over
// the universal POST /ai/run ({model, input}) or the legacy POST /ai/run/@cf/{model} (the model's
// own input). Replies are decoded by Content-Type: JSON (a v4 envelope {result, success}, a
// {state, result} wrapper or bare), or raw image / audio bytes.
import { errorFromFrame, protocolError } from '../errors.ts';
import type { MediaData, ModalityOutput, ModalityTask, TranscriptSegment, UpstreamApi, UpstreamRequest, Usage } from '../call-vocabulary.ts';
import { arr, isRecord, type Json, makeUsage, rec, str } from './shared.ts';

/** A request as it goes on the wire: path under /accounts/{id}, body, content type and the API recorded. */
export interface ModalityWire {
  api: UpstreamApi;
  path: string;
  body: string | Buffer;
  contentType: string;
  accept: string;
}

const legacyPath = (model: string) => `/ai/run/${model.split('/').map((s) => encodeURIComponent(s).replace(/%40/g, '@')).join('/')}`;

/** Deepgram's nova models take raw audio bytes with the options in the query (REST form). */
const isRawAudioModel = (model: string) => model.startsWith('@cf/deepgram/nova');
/** Deepgram's Aura models speak `text` with a `speaker`; MeloTTS speaks a `prompt` in a `lang`. */
const isAura = (model: string) => model.startsWith('@cf/deepgram/aura');

/** The model's own input object for a task (what the legacy route takes as its body). */
export function modelInput(model: string, task: ModalityTask): Json {
  switch (task.kind) {
    case 'EMBEDDING':
      return { text: task.texts };
    case 'IMAGE':
      return {
        prompt: task.prompt,
        ...(task.negativePrompt !== undefined && { negative_prompt: task.negativePrompt }),
        ...(task.width !== undefined && { width: task.width }),
        ...(task.height !== undefined && { height: task.height }),
        ...(task.steps !== undefined && { steps: task.steps }),
        ...(task.seed !== undefined && { seed: task.seed }),
      };
    case 'TRANSCRIPTION':
      return { audio: task.audio.toString('base64'), ...(task.language !== undefined && { language: task.language }) };
    case 'SPEECH':
      return isAura(model)
        ? { text: task.text, ...(task.voice !== undefined && { speaker: task.voice }) }
        : { prompt: task.text, ...(task.language !== undefined && { lang: task.language }) };
  }
}

/**
 * The request on the wire. `api` is the model's entry in the routing table: RUN sends the
 * universal envelope to /ai/run; any other entry sends embeddings to /ai/v1/embeddings and the
 * other modalities to the legacy /ai/run/@cf/{model} (third-party models: /ai/run).
 */
export function modalityWire(req: UpstreamRequest & { task: ModalityTask }, api: UpstreamApi): ModalityWire {
  const { task, model } = req;
  const json = (path: string, body: unknown, recorded: UpstreamApi): ModalityWire => ({ api: recorded, path, body: JSON.stringify(body), contentType: 'application/json', accept: 'application/json' });
  if (task.kind === 'EMBEDDING' && api !== 'RUN') {
    // The SDK surface's unread fields (req.extraBody: user, new parameters) go along as they are.
    return json('/ai/v1/embeddings', { ...req.extraBody, model, input: task.texts, ...(task.dimensions !== undefined && { dimensions: task.dimensions }) }, api);
  }
  if (task.kind === 'TRANSCRIPTION' && isRawAudioModel(model)) {
    const query = task.language !== undefined ? `?language=${encodeURIComponent(task.language)}` : '';
    return { api: 'RUN', path: legacyPath(model) + query, body: task.audio, contentType: task.mediaType ?? 'application/octet-stream', accept: 'application/json' };
  }
  const accept = task.kind === 'SPEECH' ? 'application/json, audio/*' : task.kind === 'IMAGE' ? 'application/json, image/*' : 'application/json';
  const input = modelInput(model, task);
  if (api === 'RUN' || !model.startsWith('@cf/')) return { ...json('/ai/run', { model, input }, 'RUN'), accept };
  return { ...json(legacyPath(model), input, 'RUN'), accept };
}

/** Unwraps the v4 envelope or the {state, result} wrapper; a failed one throws its error. */
function unwrap(body: Json): Json {
  if (body.success === false || body.state === 'Failed') throw errorFromFrame(body);
  if (isRecord(body.result) && (body.success === true || 'state' in body || 'errors' in body)) return body.result;
  return body;
}

/** The media type of image or audio bytes from their first bytes (the reply's header when they say nothing). */
export function sniffMediaType(bytes: Buffer, fallback: string): string {
  if (bytes.length >= 8 && bytes.readUInt32BE(0) === 0x89504e47) return 'image/png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (bytes.length >= 12 && bytes.toString('latin1', 0, 4) === 'RIFF' && bytes.toString('latin1', 8, 12) === 'WEBP') return 'image/webp';
  if (bytes.length >= 12 && bytes.toString('latin1', 0, 4) === 'RIFF' && bytes.toString('latin1', 8, 12) === 'WAVE') return 'audio/wav';
  if (bytes.length >= 3 && (bytes.toString('latin1', 0, 3) === 'ID3' || (bytes[0] === 0xff && (bytes[1]! & 0xe0) === 0xe0))) return 'audio/mpeg';
  if (bytes.length >= 4 && bytes.toString('latin1', 0, 4) === 'OggS') return 'audio/ogg';
  if (bytes.length >= 4 && bytes.toString('latin1', 0, 4) === 'fLaC') return 'audio/flac';
  return fallback;
}

/** The duration of WAV (PCM) audio from its header, in seconds; undefined for other containers. */
export function wavDurationSeconds(bytes: Buffer): number | undefined {
  if (bytes.length < 12 || bytes.toString('latin1', 0, 4) !== 'RIFF' || bytes.toString('latin1', 8, 12) !== 'WAVE') return undefined;
  let byteRate: number | undefined;
  for (let at = 12; at + 8 <= bytes.length; ) {
    const id = bytes.toString('latin1', at, at + 4);
    const size = bytes.readUInt32LE(at + 4);
    if (id === 'fmt ' && at + 16 <= bytes.length) byteRate = bytes.readUInt32LE(at + 16);
    if (id === 'data') return byteRate ? Math.min(size, bytes.length - at - 8) / byteRate : undefined;
    at += 8 + size + (size % 2);
  }
  return undefined;
}

const media = (bytes: Buffer, declared: string | undefined, fallback: string): MediaData => ({
  mediaType: sniffMediaType(bytes, declared && !declared.includes('json') && !declared.includes('octet-stream') ? declared : fallback),
  data: bytes.toString('base64'),
});

/** Generated speech, with its duration when the container tells it (WAV). */
function speech(bytes: Buffer, declared: string | undefined): ModalityOutput {
  const duration = wavDurationSeconds(bytes);
  return { kind: 'SPEECH', audio: media(bytes, declared, 'audio/mpeg'), ...(duration !== undefined && { durationSeconds: duration }) };
}

const numberRows = (v: unknown): number[][] | undefined =>
  Array.isArray(v) && v.every((row) => Array.isArray(row) && row.every((x) => typeof x === 'number')) ? (v as number[][]) : undefined;

const fromBase64 = (v: unknown, what: string): Buffer => {
  if (typeof v !== 'string' || v === '') throw protocolError(`the reply has no ${what}`);
  return Buffer.from(v, 'base64');
};

export interface ModalityParsed {
  output: ModalityOutput;
  usage?: Usage;
  /** Audio seconds the upstream reported (transcription). */
  audioSeconds?: number;
  servedModel?: string;
}

/** A reply body (JSON text or raw bytes) as the task's output. */
export function parseModalityReply(task: ModalityTask, contentType: string, bytes: Buffer): ModalityParsed {
  const isJson = contentType.includes('json') || (contentType === '' && bytes[0] === 0x7b);
  if (!isJson) {
    if (task.kind === 'IMAGE') return { output: { kind: 'IMAGE', images: [media(bytes, contentType, 'image/png')] } };
    if (task.kind === 'SPEECH') return { output: speech(bytes, contentType) };
    throw protocolError(`a ${task.kind.toLowerCase()} reply must be JSON (got ${contentType || 'no content type'})`);
  }
  let body: unknown;
  try {
    body = JSON.parse(bytes.toString('utf8'));
  } catch (cause) {
    throw protocolError('response body is not JSON', cause);
  }
  if (!isRecord(body)) throw protocolError('response body is not a JSON object');
  const result = unwrap(body);
  const servedModel = str(result.model);
  switch (task.kind) {
    case 'EMBEDDING': {
      // OpenAI list {data: [{embedding, index}]}, Workers AI {data: number[][], shape} or {response: number[][]}.
      const list = arr(result.data);
      const vectors = list.every((d) => isRecord(d) && Array.isArray(d.embedding))
        ? [...list].sort((a, b) => Number(rec(a).index ?? 0) - Number(rec(b).index ?? 0)).map((d) => rec(d).embedding as number[])
        : (numberRows(result.data) ?? numberRows(result.response));
      if (!vectors || vectors.length !== task.texts.length || !vectors.every((v) => v.every((x) => typeof x === 'number'))) {
        throw protocolError('the embeddings reply has no vector for every text');
      }
      const u = rec(result.usage);
      const meta = rec(result.meta);
      const reported = typeof u.prompt_tokens === 'number' ? u.prompt_tokens : meta.cost_metric_name_1 === 'input_tokens' && typeof meta.cost_metric_value_1 === 'number' ? meta.cost_metric_value_1 : undefined;
      return { output: { kind: 'EMBEDDING', vectors }, ...(reported !== undefined && { usage: makeUsage({ inputTokens: Math.round(reported), totalTokens: Math.round(reported) }) }), ...(servedModel && { servedModel }) };
    }
    case 'IMAGE': {
      const images = typeof result.image === 'string' ? [result.image] : arr(result.images).filter((i): i is string => typeof i === 'string');
      if (images.length === 0) throw protocolError('the image reply has no image');
      return { output: { kind: 'IMAGE', images: images.map((i) => media(fromBase64(i, 'image'), undefined, 'image/png')) } };
    }
    case 'TRANSCRIPTION': {
      const info = rec(result.transcription_info);
      const channel = rec(arr(rec(result.results).channels)[0]);
      const alternative = rec(arr(channel.alternatives)[0]);
      const text = str(result.text) ?? str(alternative.transcript);
      if (text === undefined) throw protocolError('the transcription reply has no text');
      const segments: TranscriptSegment[] = arr(result.segments)
        .filter(isRecord)
        .filter((s) => typeof s.start === 'number' && typeof s.end === 'number' && typeof s.text === 'string')
        .map((s) => ({ start: s.start as number, end: s.end as number, text: s.text as string }));
      const duration = typeof info.duration === 'number' ? info.duration : typeof rec(result.metadata).duration === 'number' ? (rec(result.metadata).duration as number) : undefined;
      const language = str(info.language);
      return {
        output: { kind: 'TRANSCRIPTION', text, segments, ...(language && { language }), ...(duration !== undefined && { durationSeconds: duration }) },
        ...(duration !== undefined && { audioSeconds: duration }),
      };
    }
    case 'SPEECH': {
      return { output: speech(fromBase64(result.audio, 'audio'), undefined) };
    }
  }
}
