// The simulator's deterministic reply, so tests can predict text, tool calls, JSON, reasoning
// and every usage category.
//
// Rule:
// - the source = the trailing tool results when the request ends with them (their contents,
//   space-joined), else the last user message; every [[fault:...]] / [[json:invalid]] directive
//   removed, whitespace-collapsed: that is the "prompt";
// - tool calls: when tools are offered, tool choice is not none and the source is a user
//   message: every offered tool whose name occurs in the prompt is called, in order of first
//   occurrence (tool choice "tool": that tool; "required": the named ones, else the first tool);
//   arguments = JSON of a value satisfying the tool's parameters, strings = the prompt
//   (json-value.ts); ids "call_" + 24 hex of sha256(index, name, arguments); no text; finish
//   "tool_calls"; each call's arguments stream in fragments of 5 code points;
// - else JSON when asked (json object or schema): text = that JSON (schema value, or
//   {"echo": prompt}), streamed in fragments of 8 code points; [[json:invalid]] cuts it in half;
// - else text = "Echo: " + prompt, plus " (images: N, bytes: B)" when the request carries images
//   (N images in all its messages, B their decoded bytes; URL images count 0 bytes); chunks are
//   its words ("Echo:", " w1", ...), one token each;
// - maxTokens keeps the first maxTokens chunks and the finish reason becomes "length";
// - reasoning (when an effort is asked): text "Reasoning (<effort>): " + prompt, streamed word
//   by word, one token a word;
// - prompt tokens P = tokens(system) + Σ tokens(content) + Σ tokens(tool-call arguments) +
//   85 per image, where tokens(text) = Σ over words of ceil(length / 4);
// - anthropic/* models: cachedInput = floor(P/2), cacheWrite = floor(P/4), input = the rest;
//   openai/* models: cachedInput = floor(P/2), reasoning = 8 + the reasoning words;
//   other models: plain input, reasoning = the reasoning words;
// - output = chunk count (text) or Σ tokens(arguments) (tool calls) + reasoning; total = P + output.
import { createHash } from 'node:crypto';
import type { ChatMessage, Usage } from '../upstream/call-vocabulary.ts';
import { valueFor } from './json-value.ts';

export const OPENAI_REASONING_TOKENS = 8;
export const IMAGE_TOKENS = 85;
const DIRECTIVE = /\[\[(?:fault:[^\]]*|json:invalid)\]\]/g;

export interface SimulatedToolCall {
  id: string;
  name: string;
  arguments: string;
  /** Argument fragments as streamed. */
  chunks: string[];
}

export interface SimulatedReply {
  text: string;
  usage: Usage;
  /** Normalized: "stop", "length" or "tool_calls"; each wire format translates it. */
  finishReason: 'stop' | 'length' | 'tool_calls';
  servedModel: string;
  chunks: string[];
  toolCalls: SimulatedToolCall[];
  reasoningText?: string;
  reasoningChunks: string[];
}

export interface SimulatedRequest {
  model: string;
  messages: ChatMessage[];
  system?: string;
  maxTokens?: number;
  tools?: Array<{ name: string; parameters?: unknown }>;
  toolChoice?: { mode: 'auto' | 'none' | 'required' | 'tool'; name?: string };
  /** JSON output asked: with its schema, or {} for any JSON object. */
  json?: { schema?: unknown };
  /** A reasoning effort label (low, medium, high, ...), when reasoning is asked. */
  reasoning?: string;
}

export function countTokens(text: string): number {
  return text
    .split(/\s+/)
    .filter(Boolean)
    .reduce((n, word) => n + Math.ceil(word.length / 4), 0);
}

export const stripDirectives = (text: string): string => text.replace(DIRECTIVE, ' ').split(/\s+/).filter(Boolean).join(' ');

/** Code-point fragments of `size` (never splits a character). */
export function fragments(text: string, size: number): string[] {
  const points = Array.from(text);
  const out: string[] = [];
  for (let i = 0; i < points.length; i += size) out.push(points.slice(i, i + size).join(''));
  return out;
}

/** Decoded size of an image input (URL images: 0, data: URLs decoded). */
export function imageBytes(image: { url: string } | { data: string; mediaType: string }): number {
  if ('data' in image) return Buffer.from(image.data, 'base64').length;
  const match = /^data:[^;,]*;base64,(.*)$/s.exec(image.url);
  return match ? Buffer.from(match[1]!, 'base64').length : 0;
}

/** The model as the provider reports it: "anthropic/claude-sonnet-4.5" -> "claude-sonnet-4-5", "openai/gpt-5.5" -> "gpt-5.5", @cf ids unchanged. */
export function servedModelFor(model: string): string {
  if (model.startsWith('@cf/')) return model;
  const slash = model.indexOf('/');
  const name = slash === -1 ? model : model.slice(slash + 1);
  return model.startsWith('anthropic/') ? name.replace(/\./g, '-') : name;
}

function sourceOf(messages: ChatMessage[]): { prompt: string; fromTools: boolean; raw: string } {
  const trailing: string[] = [];
  for (let i = messages.length - 1; i >= 0 && messages[i]!.role === 'tool'; i--) trailing.unshift(messages[i]!.content);
  if (trailing.length > 0) return { prompt: stripDirectives(trailing.join(' ')), fromTools: true, raw: trailing.join(' ') };
  const lastUser = [...messages].reverse().find((m) => m.role === 'user');
  const raw = lastUser?.content ?? '';
  return { prompt: stripDirectives(raw), fromTools: false, raw };
}

function toolsToCall(input: SimulatedRequest, prompt: string): Array<{ name: string; parameters?: unknown }> {
  const tools = input.tools ?? [];
  const choice = input.toolChoice?.mode ?? 'auto';
  if (tools.length === 0 || choice === 'none') return [];
  if (choice === 'tool') return tools.filter((t) => t.name === input.toolChoice?.name).slice(0, 1);
  const named = tools
    .map((t) => ({ tool: t, at: prompt.indexOf(t.name) }))
    .filter((x) => x.at !== -1)
    .sort((a, b) => a.at - b.at)
    .map((x) => x.tool);
  if (named.length === 0 && choice === 'required') return tools.slice(0, 1);
  return named;
}

export function simulateReply(input: SimulatedRequest): SimulatedReply {
  const { prompt, fromTools, raw } = sourceOf(input.messages);
  const images = input.messages.flatMap((m) => m.images ?? []);
  let finishReason: SimulatedReply['finishReason'] = 'stop';
  let chunks: string[] = [];
  const toolCalls: SimulatedToolCall[] = fromTools
    ? []
    : toolsToCall(input, prompt).map((tool, index) => {
        const args = JSON.stringify(valueFor(tool.parameters ?? { type: 'object' }, prompt));
        const id = `call_${createHash('sha256').update(`${index}|${tool.name}|${args}`).digest('hex').slice(0, 24)}`;
        return { id, name: tool.name, arguments: args, chunks: fragments(args, 5) };
      });
  if (toolCalls.length > 0) {
    finishReason = 'tool_calls';
  } else if (input.json) {
    let json = JSON.stringify(input.json.schema === undefined ? { echo: prompt } : valueFor(input.json.schema, prompt));
    if (raw.includes('[[json:invalid]]')) json = json.slice(0, Math.floor(json.length / 2));
    chunks = fragments(json, 8);
  } else {
    const suffix = images.length > 0 ? ` (images: ${images.length}, bytes: ${images.reduce((n, i) => n + imageBytes(i), 0)})` : '';
    const words = ['Echo:', ...`${prompt}${suffix}`.split(' ').filter(Boolean)];
    chunks = words.map((w, i) => (i === 0 ? w : ` ${w}`));
  }
  if (toolCalls.length === 0 && input.maxTokens !== undefined && input.maxTokens < chunks.length) {
    chunks = chunks.slice(0, Math.max(0, input.maxTokens));
    finishReason = 'length';
  }
  const reasoningText = input.reasoning ? `Reasoning (${input.reasoning}): ${prompt}` : undefined;
  const reasoningChunks = reasoningText ? reasoningText.split(' ').map((w, i) => (i === 0 ? w : ` ${w}`)) : [];

  const promptTokens =
    countTokens(input.system ?? '') +
    input.messages.reduce((n, m) => n + countTokens(m.content) + (m.toolCalls ?? []).reduce((k, c) => k + countTokens(c.arguments), 0) + IMAGE_TOKENS * (m.images?.length ?? 0), 0);
  const anthropic = input.model.startsWith('anthropic/');
  const openai = input.model.startsWith('openai/');
  const cachedInputTokens = anthropic || openai ? Math.floor(promptTokens / 2) : 0;
  const cacheWriteTokens = anthropic ? Math.floor(promptTokens / 4) : 0;
  const reasoningTokens = (openai ? OPENAI_REASONING_TOKENS : 0) + reasoningChunks.length;
  const answerTokens = toolCalls.length > 0 ? toolCalls.reduce((n, c) => n + Math.max(1, countTokens(c.arguments)), 0) : chunks.length;
  const outputTokens = answerTokens + reasoningTokens;
  return {
    text: chunks.join(''),
    chunks,
    finishReason,
    servedModel: servedModelFor(input.model),
    toolCalls,
    ...(reasoningText && { reasoningText }),
    reasoningChunks,
    usage: {
      inputTokens: promptTokens - cachedInputTokens - cacheWriteTokens,
      outputTokens,
      cachedInputTokens,
      cacheWriteTokens,
      reasoningTokens,
      totalTokens: promptTokens + outputTokens,
    },
  };
}
