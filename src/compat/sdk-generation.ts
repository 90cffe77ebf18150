// The generation routes' one path through the pipeline: parse the SDK body into GenerateInput
// fields (what Switchboard reads and checks at the door) plus the fields sent upstream as they
// are, run `generate` / `generateStream` on the surface's own upstream endpoint, and answer with
// the upstream's reply as it came (its body, or its stream frames). A reply that is not at hand
// (an idempotent repeat answers from the stored generation) is built from the generation.
import type { UpstreamApi } from '../upstream/call-vocabulary.ts';
import type { Generation } from '../domain/generation/generation-view.ts';
import { generateInput } from '../domain/generation/schemas.ts';
import { parseInput } from '../domain/validation.ts';
import { badInput } from '../platform/errors.ts';
import type { CompatCall, Json } from './route.ts';

export interface SdkGenerationCall {
  /** The GenerateInput fields read from the body: model, messages, system, maxTokens. */
  input: Json;
  /** The body's fields sent upstream as they are (undefined leaves a built field out). */
  extraBody: Json;
  stream: boolean;
  /** A stream frame as the client gets it (absent: unchanged; '' drops it). */
  frame?: (raw: string) => string;
}

export interface SdkFormat {
  /** The upstream endpoint of this wire format (the same format, so its reply passes as it is). */
  api: UpstreamApi;
  parse(body: Json): SdkGenerationCall;
  /** The reply built from a stored generation (an idempotent repeat). */
  replyOf(generation: Generation): Json;
}

export const isRecord = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The body's `stream` flag: a boolean when present. */
export function streamFlag(body: Json): boolean {
  if (body.stream === undefined || body.stream === null) return false;
  if (typeof body.stream !== 'boolean') throw badInput('stream', 'stream must be a boolean');
  return body.stream;
}

/** The body without the fields the pipeline builds itself from what it read. */
export function passthrough(body: Json, built: Json): Json {
  const { model: _model, stream: _stream, ...rest } = body;
  return { ...rest, ...built };
}

/**
 * The output cap in the upstream body: the caller's own, as sent (`field`, or one of its
 * `alternatives` such as max_completion_tokens, then `field` is left out); without one, nothing
 * here, so the built body's cap goes upstream: the model's output cap, the one reserved.
 */
export function capAsSent(body: Json, field: string, alternatives: readonly string[] = []): Json {
  const sent = [field, ...alternatives].some((name) => body[name] !== undefined && body[name] !== null);
  return sent ? { [field]: body[field] } : {};
}

/** An optional positive integer field (a token cap). */
export function optionalInt(body: Json, field: string): number | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) throw badInput(field, `${field} must be a positive integer`);
  return value;
}

/** An image by URL: a data: URL becomes inline data (so MAX_IMAGE_BYTES applies), anything else stays a URL. */
export function imageFromUrl(url: unknown, field: string): Json {
  if (typeof url !== 'string') throw badInput(field, `${field} must be a URL string`);
  const data = /^data:([^;,]+);base64,(.*)$/s.exec(url);
  return data ? { data: data[2], mediaType: data[1] } : { url };
}

/**
 * A message content (a string, null, or an array of parts) as GenerateInput text and images: text
 * parts (`isText`) joined, images by URL (`imageUrlOf`; undefined: not an image), any other part
 * as its JSON (counted and checked; the part itself goes upstream as it is).
 */
export function contentOf(content: unknown, field: string, isText: (type: unknown) => boolean, imageUrlOf: (part: Json) => unknown): { text: string; images: Json[] } {
  if (content === undefined || content === null) return { text: '', images: [] };
  if (typeof content === 'string') return { text: content, images: [] };
  if (!Array.isArray(content)) throw badInput(field, `${field} must be a string or an array of parts`);
  const texts: string[] = [];
  const images: Json[] = [];
  content.forEach((part: unknown, i) => {
    if (!isRecord(part)) throw badInput(`${field}.${i}`, 'a content part must be an object');
    const url = imageUrlOf(part);
    if (isText(part.type) && typeof part.text === 'string') texts.push(part.text);
    else if (url !== undefined) images.push(imageFromUrl(url, `${field}.${i}.image_url`));
    else texts.push(JSON.stringify(part));
  });
  return { text: texts.join('\n'), images };
}

export async function serveGeneration(call: CompatCall, format: SdkFormat): Promise<void> {
  const parsed = format.parse(call.body);
  const input = parseInput(generateInput, { ...parsed.input, ...call.headerInput(), api: format.api });
  const generation = call.services.generation;
  if (!parsed.stream) {
    let wire: string | undefined;
    const options = call.options({ streaming: false, extraBody: parsed.extraBody, wire: (text) => (wire = text) });
    const result = await generation.generate(call.principal, input, options);
    return call.json(wire ?? format.replyOf(result));
  }
  const sink = call.events();
  const frame = parsed.frame;
  const write = (text: string) => {
    const out = frame ? frame(text) : text;
    if (out !== '') sink.write(out);
  };
  const stream = generation.generateStream(call.principal, input, call.options({ streaming: true, extraBody: parsed.extraBody, wire: write }));
  // The wire carries the reply; iterating drives the call to its end (its row finalised). Revoking
  // or rotating the key ends it at once, as on every transport (the route's error frame, then the end).
  for await (const event of call.services.liveStreams.revocable(call.principal, stream)) void event;
  await call.endEvents();
}
