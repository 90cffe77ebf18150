// How many input tokens one call may send: MAX_CONTEXT_TOKENS, lowered per model by
// MODEL_CONTEXT_TOKENS. A chat drops its oldest turns to fit (chat/context-window.ts); a generate
// sends exactly what the caller gave, so one over the budget is refused at the door.
import type { ChatMessage } from '../../upstream/call-vocabulary.ts';
import { AppError } from '../../platform/errors.ts';
import { estimateInputTokens } from '../ledger/usage-estimate.ts';

export interface ContextWindowPolicy {
  maxTokens: number;
  maxBodyBytes: number;
  /** Per-model caps (exact id or prefix; longest wins) that may only lower maxTokens. */
  perModel?: Readonly<Record<string, number>>;
}

export function tokenBudget(model: string, policy: ContextWindowPolicy): number {
  let best: { prefix: string; tokens: number } | undefined;
  for (const [prefix, tokens] of Object.entries(policy.perModel ?? {})) {
    if (model.startsWith(prefix) && (!best || prefix.length > best.prefix.length)) best = { prefix, tokens };
  }
  return Math.min(policy.maxTokens, best?.tokens ?? Infinity);
}

/** BAD_INPUT (naming `field`) when the system prompt and messages are estimated over the model's budget. */
export function assertWithinBudget(model: string, system: string | undefined, messages: readonly ChatMessage[], policy: ContextWindowPolicy, field: string): void {
  const maxTokens = tokenBudget(model, policy);
  const tokens = estimateInputTokens({ system, messages: [...messages] });
  if (tokens > maxTokens) {
    throw new AppError('BAD_INPUT', `The input needs about ${tokens} tokens, over this model's context limit of ${maxTokens} (MAX_CONTEXT_TOKENS)`, { field });
  }
}
