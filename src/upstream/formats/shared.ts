// What the four wire formats share: the format interface, JSON guards, usage normalization,
// finish-reason normalization and the JSON-frame reader used by every stream mapper.
import { errorFromFrame, protocolError } from '../errors.ts';
import type { SseEvent } from '../sse.ts';
import type { FinishReason, ToolCall, UpstreamApi, UpstreamEvent, UpstreamRequest, Usage } from '../call-vocabulary.ts';

export interface ParsedResult {
  text: string;
  finishReason?: FinishReason;
  rawFinishReason?: string;
  toolCalls: ToolCall[];
  reasoningText?: string;
  servedModel?: string;
  usage: Usage;
}

/** Maps SSE events to normalized events; the first `done`/`error` it returns ends the stream. */
export interface StreamMapper {
  push(event: SseEvent): UpstreamEvent[];
}

export interface WireFormat {
  api: UpstreamApi;
  /** Path under /accounts/{id}. */
  path(req: UpstreamRequest): string;
  toWireBody(req: UpstreamRequest, stream: boolean): Record<string, unknown>;
  /** A non-streamed response body; throws UpstreamError when it is not the expected shape. */
  parseResult(body: unknown, req: UpstreamRequest): ParsedResult;
  createEventMapper(secrets: readonly string[], req: UpstreamRequest): StreamMapper;
}

export type Json = Record<string, unknown>;
export const isRecord = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
export const rec = (v: unknown): Json => (isRecord(v) ? v : {});
export const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
export const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
export const count = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.round(v) : 0);

/** Builds a Usage from disjoint categories; input here excludes cached reads and cache writes. */
export function makeUsage(parts: Partial<Usage>): Usage {
  const usage: Usage = {
    inputTokens: Math.max(0, parts.inputTokens ?? 0),
    outputTokens: parts.outputTokens ?? 0,
    cachedInputTokens: parts.cachedInputTokens ?? 0,
    cacheWriteTokens: parts.cacheWriteTokens ?? 0,
    reasoningTokens: parts.reasoningTokens ?? 0,
    totalTokens: 0,
  };
  const sum = usage.inputTokens + usage.cachedInputTokens + usage.cacheWriteTokens + usage.outputTokens;
  usage.totalTokens = Math.max(sum, parts.totalTokens ?? 0);
  return usage;
}

/** OpenAI-family usage, where the input count includes cache reads (and writes, where reported). */
function usageFromOpenAiFamily(raw: unknown, names: { input: string; output: string }): Usage {
  const u = rec(raw);
  const details = rec(u[`${names.input}_details`]);
  const cached = count(details.cached_tokens);
  const cacheWrite = count(details.cache_write_tokens ?? details.cache_creation_tokens);
  return makeUsage({
    inputTokens: count(u[names.input]) - cached - cacheWrite,
    cachedInputTokens: cached,
    cacheWriteTokens: cacheWrite,
    outputTokens: count(u[names.output]),
    reasoningTokens: count(rec(u[`${names.output}_details`]).reasoning_tokens),
    totalTokens: count(u.total_tokens),
  });
}

/**
 * OpenAI-style usage (Chat Completions, Workers AI): prompt_tokens includes cached reads (and
 * cache writes, reported by some providers as prompt_tokens_details.cache_write_tokens).
 */
export const usageFromOpenAi = (raw: unknown): Usage => usageFromOpenAiFamily(raw, { input: 'prompt_tokens', output: 'completion_tokens' });

/** OpenAI Responses usage: input_tokens includes cached reads. */
export const usageFromResponses = (raw: unknown): Usage => usageFromOpenAiFamily(raw, { input: 'input_tokens', output: 'output_tokens' });

/**
 * Anthropic usage: input_tokens already excludes cache reads and writes. Anthropic does not
 * report thinking apart: reasoning is output_tokens_details.thinking_tokens when present, else 0.
 */
export function usageFromAnthropic(raw: unknown): Usage {
  const u = rec(raw);
  return makeUsage({
    inputTokens: count(u.input_tokens),
    cachedInputTokens: count(u.cache_read_input_tokens),
    cacheWriteTokens: count(u.cache_creation_input_tokens),
    outputTokens: count(u.output_tokens),
    reasoningTokens: count(rec(u.output_tokens_details).thinking_tokens),
  });
}

const FINISH_REASON_MAP: Readonly<Record<string, FinishReason>> = {
  stop: 'stop',
  end_turn: 'stop',
  stop_sequence: 'stop',
  completed: 'stop',
  eos: 'stop',
  pause_turn: 'stop',
  length: 'length',
  max_tokens: 'length',
  max_output_tokens: 'length',
  max_completion_tokens: 'length',
  model_context_window_exceeded: 'length',
  tool_calls: 'tool_calls',
  tool_use: 'tool_calls',
  function_call: 'tool_calls',
  content_filter: 'content_filter',
  refusal: 'content_filter',
};

/** Normalized finish reasons (stop, length, tool_calls, content_filter); an unknown one gives undefined (the raw one is kept apart). */
export function normalizeFinishReason(reason: unknown): FinishReason | undefined {
  if (typeof reason !== 'string' || reason === '') return undefined;
  return FINISH_REASON_MAP[reason];
}

/** The normalized and the raw finish reason of a provider value. */
export function finishReasons(reason: unknown): { finishReason?: FinishReason; rawFinishReason?: string } {
  const raw = typeof reason === 'string' && reason !== '' ? reason : undefined;
  return { finishReason: normalizeFinishReason(raw), ...(raw !== undefined && { rawFinishReason: raw }) };
}

/** Sampling parameters shared by the OpenAI-style bodies. */
export function samplingFields(req: UpstreamRequest, maxTokensField: string): Json {
  const body: Json = {};
  if (req.maxTokens !== undefined) body[maxTokensField] = req.maxTokens;
  if (req.temperature !== undefined) body.temperature = req.temperature;
  if (req.topP !== undefined) body.top_p = req.topP;
  return body;
}

/** A data: URL or the URL of an image input. */
export const imageUrl = (image: { url: string } | { data: string; mediaType: string }): string =>
  'url' in image ? image.url : `data:${image.mediaType};base64,${image.data}`;

/** Tool-call arguments (JSON text) as an object, for wires that take objects (Anthropic tool_use). */
export function argumentsObject(text: string): Json {
  try {
    return rec(JSON.parse(text));
  } catch {
    return {};
  }
}

/** Arguments sent as an object (Anthropic, Workers AI) as JSON text; strings pass through. */
export const argumentsText = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value ?? {}));

/**
 * Reads a data frame as JSON. A malformed frame and an error frame become an `error` event
 * (returned as `{ error }`); `[DONE]` is reported as `done`.
 */
export function readFrame(
  event: SseEvent,
  secrets: readonly string[],
  isError: (frame: Json, event: SseEvent) => boolean,
): { done: true } | { error: UpstreamEvent } | { frame: Json } {
  if (event.data.trim() === '[DONE]') return { done: true };
  let frame: unknown;
  try {
    frame = JSON.parse(event.data);
  } catch (cause) {
    return { error: { type: 'error', error: protocolError('malformed stream chunk', cause) } };
  }
  if (!isRecord(frame)) return { error: { type: 'error', error: protocolError('stream chunk is not an object') } };
  if (isError(frame, event)) return { error: { type: 'error', error: errorFromFrame(frame, secrets) } };
  return { frame };
}

/** A non-streamed body must be an object; throws a protocol error otherwise. */
export function requireObject(body: unknown, what: string): Json {
  if (!isRecord(body)) throw protocolError(`${what} response is not a JSON object`);
  return body;
}
