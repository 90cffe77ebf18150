// What the simulated wire formats share: request parsing helpers, SSE framing, usage encoders.
import type { ChatMessage, ImageInput, ToolCall, Usage } from '../../upstream/call-vocabulary.ts';
import type { SimulatedReply, SimulatedRequest } from '../reply.ts';

export type Json = Record<string, unknown>;
export const isRecord = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface SimRequest extends SimulatedRequest {
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

const ROLES = new Set<string>(['system', 'user', 'assistant', 'developer', 'tool']);

/** Text of a message content: a string or an array of text parts of any provider. */
export function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (content === null || content === undefined) return '';
  if (!Array.isArray(content)) throw new BadSimRequest('content must be a string or an array of parts');
  return content
    .map((part) => (isRecord(part) && typeof part.text === 'string' && part.type !== 'tool_result' ? part.text : ''))
    .join('');
}

/** An image part of any provider: image_url (Chat Completions), input_image (Responses), image (Messages). */
function imageOf(part: Json): ImageInput | undefined {
  const url = part.type === 'image_url' ? (isRecord(part.image_url) ? part.image_url.url : part.image_url) : part.type === 'input_image' ? part.image_url : undefined;
  if (typeof url === 'string') return { url };
  if (part.type === 'image' && isRecord(part.source)) {
    const source = part.source;
    if (source.type === 'url' && typeof source.url === 'string') return { url: source.url };
    if (source.type === 'base64' && typeof source.data === 'string' && typeof source.media_type === 'string') return { data: source.data, mediaType: source.media_type };
    throw new BadSimRequest('image.source must be {type: url, url} or {type: base64, media_type, data}');
  }
  if (part.type === 'image_url' || part.type === 'input_image' || part.type === 'image') throw new BadSimRequest(`${String(part.type)} part without an image`);
  return undefined;
}

const parts = (content: unknown): Json[] => (Array.isArray(content) ? content.filter(isRecord) : []);

/** OpenAI tool_calls [{id, function: {name, arguments}}] and Anthropic tool_use blocks as ToolCalls. */
function toolCallsOf(m: Json): ToolCall[] {
  const openai = Array.isArray(m.tool_calls)
    ? m.tool_calls.filter(isRecord).map((c) => {
        const fn = isRecord(c.function) ? c.function : {};
        if (typeof c.id !== 'string' || typeof fn.name !== 'string' || typeof fn.arguments !== 'string') throw new BadSimRequest('tool_calls need id, function.name and function.arguments (a string)');
        return { id: c.id, name: fn.name, arguments: fn.arguments };
      })
    : [];
  const anthropic = parts(m.content)
    .filter((p) => p.type === 'tool_use')
    .map((p) => {
      if (typeof p.id !== 'string' || typeof p.name !== 'string' || !isRecord(p.input)) throw new BadSimRequest('tool_use needs id, name and an input object');
      return { id: p.id, name: p.name, arguments: JSON.stringify(p.input) };
    });
  return [...openai, ...anthropic];
}

/**
 * Messages or Responses input items of any provider, normalized: text and image parts, assistant
 * tool calls (tool_calls, tool_use blocks, function_call items), tool results (role tool,
 * tool_result blocks, function_call_output items).
 */
export function parseMessages(raw: unknown, field: string): ChatMessage[] {
  if (!Array.isArray(raw) || raw.length === 0) throw new BadSimRequest(`${field} must be a non-empty array`);
  const out: ChatMessage[] = [];
  raw.forEach((m, i) => {
    if (isRecord(m) && m.type === 'function_call') {
      if (typeof m.call_id !== 'string' || typeof m.name !== 'string' || typeof m.arguments !== 'string') throw new BadSimRequest(`${field}[${i}]: function_call needs call_id, name and arguments`);
      const call = { id: m.call_id, name: m.name, arguments: m.arguments };
      const last = out.at(-1);
      if (last?.role === 'assistant') last.toolCalls = [...(last.toolCalls ?? []), call];
      else out.push({ role: 'assistant', content: '', toolCalls: [call] });
      return;
    }
    if (isRecord(m) && m.type === 'function_call_output') {
      if (typeof m.call_id !== 'string' || typeof m.output !== 'string') throw new BadSimRequest(`${field}[${i}]: function_call_output needs call_id and output`);
      out.push({ role: 'tool', content: m.output, toolCallId: m.call_id });
      return;
    }
    if (!isRecord(m) || typeof m.role !== 'string' || !ROLES.has(m.role)) {
      throw new BadSimRequest(`${field}[${i}].role is invalid`);
    }
    if (m.role === 'tool') {
      if (typeof m.tool_call_id !== 'string') throw new BadSimRequest(`${field}[${i}].tool_call_id is required`);
      out.push({ role: 'tool', content: contentText(m.content), toolCallId: m.tool_call_id });
      return;
    }
    for (const result of parts(m.content).filter((p) => p.type === 'tool_result')) {
      if (typeof result.tool_use_id !== 'string') throw new BadSimRequest(`${field}[${i}]: tool_result needs tool_use_id`);
      out.push({ role: 'tool', content: contentText(result.content), toolCallId: result.tool_use_id });
    }
    const role = m.role === 'developer' ? 'system' : (m.role as ChatMessage['role']);
    const images = parts(m.content).map(imageOf).filter((x): x is ImageInput => x !== undefined);
    const toolCalls = toolCallsOf(m);
    const content = contentText(m.content);
    if (content === '' && images.length === 0 && toolCalls.length === 0 && parts(m.content).some((p) => p.type === 'tool_result')) return;
    out.push({ role, content, ...(images.length && { images }), ...(toolCalls.length && { toolCalls }) });
  });
  return out;
}

/** Tools of any provider: {type: function, function: {name, parameters}}, {type: function, name, parameters}, {name, input_schema}. */
export function parseTools(raw: unknown): Array<{ name: string; parameters?: unknown }> | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!Array.isArray(raw)) throw new BadSimRequest('tools must be an array');
  return raw.map((t, i) => {
    const fn = isRecord(t) && isRecord(t.function) ? t.function : t;
    if (!isRecord(fn) || typeof fn.name !== 'string' || fn.name === '') throw new BadSimRequest(`tools[${i}].name is required`);
    return { name: fn.name, parameters: fn.parameters ?? fn.input_schema };
  });
}

/** tool_choice of any provider: "auto" | "none" | "required", {type: function, function: {name}} / {type: function, name}, Anthropic {type: auto|any|none|tool, name}. */
export function parseToolChoice(raw: unknown): SimulatedRequest['toolChoice'] {
  if (raw === undefined || raw === null) return undefined;
  if (raw === 'auto' || raw === 'none' || raw === 'required') return { mode: raw };
  if (isRecord(raw)) {
    const name = isRecord(raw.function) ? raw.function.name : raw.name;
    if ((raw.type === 'function' || raw.type === 'tool') && typeof name === 'string') return { mode: 'tool', name };
    if (raw.type === 'any') return { mode: 'required' };
    if (raw.type === 'auto' || raw.type === 'none') return { mode: raw.type };
  }
  throw new BadSimRequest('tool_choice is invalid');
}

/** response_format (Chat Completions) or text.format (Responses) as the JSON asked for. */
export function parseJsonFormat(format: unknown): SimulatedRequest['json'] {
  if (!isRecord(format) || format.type === 'text' || format.type === undefined) return undefined;
  if (format.type === 'json_object') return {};
  if (format.type === 'json_schema') {
    const schema = isRecord(format.json_schema) ? format.json_schema.schema : format.schema;
    if (!isRecord(schema)) throw new BadSimRequest('json_schema needs a schema object');
    return { schema };
  }
  throw new BadSimRequest('unknown response format type');
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

/** Anthropic usage; thinking tokens (inside output_tokens) in output_tokens_details.thinking_tokens when non-zero. */
export function anthropicUsage(u: Usage): Json {
  return {
    input_tokens: u.inputTokens,
    cache_creation_input_tokens: u.cacheWriteTokens,
    cache_read_input_tokens: u.cachedInputTokens,
    output_tokens: u.outputTokens,
    ...(u.reasoningTokens ? { output_tokens_details: { thinking_tokens: u.reasoningTokens } } : {}),
    service_tier: 'standard',
  };
}
