// What the simulated wire formats share: request parsing helpers, SSE framing, usage encoders.
import type { ChatMessage, ChatRole, Usage } from '../../call-vocabulary.ts';
import type { SimulatedReply } from '../reply.ts';

export type Json = Record<string, unknown>;
export const isRecord = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface SimRequest {
  model: string;
  messages: ChatMessage[];
  system?: string;
  maxTokens?: number;
  stream: boolean;
  /** Chat Completions only: stream_options.include_usage. */
  includeUsage: boolean;
}

export interface SimContext {
  /** The response id (chatcmpl-…, resp_…, msg_…). */
  id: string;
  created: number;
}

export interface Frame {
  text: string;
  /** Whether this frame carries a text delta (fault positions count these). */
  delta?: boolean;
}

export interface SimFormat {
  /** Which provider's error shape this endpoint passes through by default. */
  providerShape: 'openai' | 'anthropic' | 'workers';
  idPrefix: string;
  /** Parses the request body; throws BadSimRequest with a message when it is not acceptable. */
  parse(body: unknown, pathModel?: string): SimRequest;
  json(reply: SimulatedReply, ctx: SimContext, req: SimRequest): Json;
  frames(reply: SimulatedReply, ctx: SimContext, req: SimRequest): Frame[];
  errorFrame(ctx: SimContext): Frame;
}

export class BadSimRequest extends Error {}

export const sseData = (data: unknown): string => `data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`;
export const sseEvent = (event: string, data: Json): string => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
export const MALFORMED_FRAME: Frame = { text: 'data: {"malformed": \n\n' };

const ROLES = new Set<string>(['system', 'user', 'assistant', 'developer']);

/** Text of a message content: a string or an array of text parts of any provider. */
export function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) throw new BadSimRequest('content must be a string or an array of parts');
  return content
    .map((part) => (isRecord(part) && typeof part.text === 'string' ? part.text : ''))
    .join('');
}

export function parseMessages(raw: unknown, field: string): ChatMessage[] {
  if (!Array.isArray(raw) || raw.length === 0) throw new BadSimRequest(`${field} must be a non-empty array`);
  return raw.map((m, i) => {
    if (!isRecord(m) || typeof m.role !== 'string' || !ROLES.has(m.role)) {
      throw new BadSimRequest(`${field}[${i}].role is invalid`);
    }
    const role: ChatRole = m.role === 'developer' ? 'system' : (m.role as ChatRole);
    return { role, content: contentText(m.content) };
  });
}

export function requireModel(body: Json): string {
  if (typeof body.model !== 'string' || body.model === '') throw new BadSimRequest('model is required');
  return body.model;
}

export function optionalMaxTokens(value: unknown, field: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) throw new BadSimRequest(`${field} must be a positive integer`);
  return value;
}


/** OpenAI-style usage (Chat Completions, Workers AI). cache_write_tokens appears only when non-zero. */
export function openAiUsage(u: Usage): Json {
  const prompt = u.inputTokens + u.cachedInputTokens + u.cacheWriteTokens;
  return {
    prompt_tokens: prompt,
    completion_tokens: u.outputTokens,
    total_tokens: prompt + u.outputTokens,
    prompt_tokens_details: { cached_tokens: u.cachedInputTokens, ...(u.cacheWriteTokens ? { cache_write_tokens: u.cacheWriteTokens } : {}) },
    completion_tokens_details: { reasoning_tokens: u.reasoningTokens },
  };
}

export function responsesUsage(u: Usage): Json {
  const input = u.inputTokens + u.cachedInputTokens + u.cacheWriteTokens;
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: u.cachedInputTokens, ...(u.cacheWriteTokens ? { cache_write_tokens: u.cacheWriteTokens } : {}) },
    output_tokens: u.outputTokens,
    output_tokens_details: { reasoning_tokens: u.reasoningTokens },
    total_tokens: input + u.outputTokens,
  };
}

export function anthropicUsage(u: Usage): Json {
  return {
    input_tokens: u.inputTokens,
    cache_creation_input_tokens: u.cacheWriteTokens,
    cache_read_input_tokens: u.cachedInputTokens,
    output_tokens: u.outputTokens,
    service_tier: 'standard',
  };
}
