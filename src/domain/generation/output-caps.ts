// The output cap a call sends upstream when its caller set no maxTokens: the model's own cap
// where its provider publishes one (below, each with its source), else DEFAULT_MAX_OUTPUT_TOKENS.
// Every call thus carries a cap, and its reservation reserves exactly that much output.
import type { ReasoningEffort, UpstreamApi } from '../../upstream/call-vocabulary.ts';
import { DEFAULT_ANTHROPIC_MAX_TOKENS, THINKING_BUDGET } from '../../upstream/formats/messages.ts';

/** DEFAULT_MAX_OUTPUT_TOKENS when the environment sets none. */
export const DEFAULT_MAX_OUTPUT_TOKENS = 8_192;

/** Published maximum output tokens per model id. */
export const MODEL_OUTPUT_CAPS: Readonly<Record<string, number>> = {
  // https://docs.anthropic.com/en/docs/about-claude/models/overview ("Max output")
  'anthropic/claude-sonnet-4-5': 64_000,
  'anthropic/claude-haiku-4-5': 64_000,
  // https://platform.openai.com/docs/models/gpt-4.1 ("32,768 max output tokens"), gpt-4.1-mini likewise
  'openai/gpt-4.1': 32_768,
  'openai/gpt-4.1-mini': 32_768,
  // https://ai.google.dev/gemini-api/docs/models ("Output token limit 65,536")
  'google/gemini-2.5-pro': 65_536,
  'google/gemini-2.5-flash': 65_536,
};

/**
 * The output cap to send for `model` when the caller gave none. On the Messages API a thinking
 * budget must fit under max_tokens, so with reasoning the cap is at least that budget plus the
 * Anthropic default for the answer.
 */
export function outputCapFor(model: string, api: UpstreamApi, reasoningEffort: ReasoningEffort | undefined, fallback = DEFAULT_MAX_OUTPUT_TOKENS): number {
  const cap = MODEL_OUTPUT_CAPS[model] ?? fallback;
  if (api === 'MESSAGES' && reasoningEffort) return Math.max(cap, THINKING_BUDGET[reasoningEffort] + DEFAULT_ANTHROPIC_MAX_TOKENS);
  return cap;
}
