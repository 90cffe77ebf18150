// The simulator's deterministic reply, so tests can predict text and every usage category.
//
// Rule:
// - prompt = the last user message with every [[fault:...]] directive removed, whitespace-collapsed;
// - text = "Echo: " + prompt; chunks are its words ("Echo:", " w1", " w2", ...), one token each;
// - maxTokens keeps the first maxTokens chunks and the finish reason becomes "length" (else "stop");
// - prompt tokens P = sum over the system prompt and every message of tokens(text), where
//   tokens(text) = sum over whitespace-separated words of ceil(length / 4);
// - anthropic/* models: cachedInput = floor(P/2), cacheWrite = floor(P/4), input = the rest;
//   openai/* models: cachedInput = floor(P/2), reasoning = 8 (counted inside output);
//   other models: everything is plain input, no reasoning;
// - output = chunk count + reasoning; total = P + output.
import type { ChatMessage, Usage } from '../call-vocabulary.ts';

export const OPENAI_REASONING_TOKENS = 8;
const DIRECTIVE = /\[\[fault:[^\]]*\]\]/g;

export interface SimulatedReply {
  text: string;
  usage: Usage;
  /** Normalized: "stop" or "length"; each wire format translates it. */
  finishReason: string;
  servedModel: string;
  chunks: string[];
}

export function countTokens(text: string): number {
  return text
    .split(/\s+/)
    .filter(Boolean)
    .reduce((n, word) => n + Math.ceil(word.length / 4), 0);
}

export const stripDirectives = (text: string): string => text.replace(DIRECTIVE, ' ').split(/\s+/).filter(Boolean).join(' ');

/** The model as the provider reports it: "anthropic/claude-sonnet-4.5" -> "claude-sonnet-4-5", "openai/gpt-5.5" -> "gpt-5.5", @cf ids unchanged. */
export function servedModelFor(model: string): string {
  if (model.startsWith('@cf/')) return model;
  const slash = model.indexOf('/');
  const name = slash === -1 ? model : model.slice(slash + 1);
  return model.startsWith('anthropic/') ? name.replace(/\./g, '-') : name;
}

export function simulateReply(input: { model: string; messages: ChatMessage[]; system?: string; maxTokens?: number }): SimulatedReply {
  const lastUser = [...input.messages].reverse().find((m) => m.role === 'user');
  const prompt = stripDirectives(lastUser?.content ?? '');
  const words = ['Echo:', ...prompt.split(' ').filter(Boolean)];
  let chunks = words.map((w, i) => (i === 0 ? w : ` ${w}`));
  let finishReason = 'stop';
  if (input.maxTokens !== undefined && input.maxTokens < chunks.length) {
    chunks = chunks.slice(0, Math.max(0, input.maxTokens));
    finishReason = 'length';
  }
  const promptTokens = [input.system ?? '', ...input.messages.map((m) => m.content)].reduce((n, t) => n + countTokens(t), 0);
  const anthropic = input.model.startsWith('anthropic/');
  const openai = input.model.startsWith('openai/');
  const cachedInputTokens = anthropic || openai ? Math.floor(promptTokens / 2) : 0;
  const cacheWriteTokens = anthropic ? Math.floor(promptTokens / 4) : 0;
  const reasoningTokens = openai ? OPENAI_REASONING_TOKENS : 0;
  const outputTokens = chunks.length + reasoningTokens;
  return {
    text: chunks.join(''),
    chunks,
    finishReason,
    servedModel: servedModelFor(input.model),
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
