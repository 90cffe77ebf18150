// Bounded conversations: the policy for how much history one chat turn replays. Pure.
//
// - A call sends at most `maxTokens` input tokens (MAX_CONTEXT_TOKENS, lowered per model by
//   MODEL_CONTEXT_TOKENS): system prompt + replayed history + the new turn, each message estimated
//   as the call runner estimates reservations (ceil(characters / 4) + 4 a message, tool-call text
//   and images included): never less than characters / 4.
// - The replayed messages also count against the request body limit (MAX_BODY_BYTES), by their
//   JSON-encoded size plus a fixed allowance for the request's other fields.
// - The system prompt and the new turn are always sent (a turn of tool results keeps the assistant
//   message whose calls they answer); history is kept newest first and the oldest turns are
//   dropped to fit, cutting only before a user message (so a tool call never loses its result,
//   and the replay starts the way every provider expects). A system prompt plus turn that cannot
//   fit on their own is BAD_INPUT.
import type { ChatMessage } from '../../upstream/call-vocabulary.ts';
import { AppError } from '../../platform/errors.ts';
import { estimateInputTokens } from '../generation/call-runner.ts';
import { tokenBudget, type ContextWindowPolicy } from '../generation/context-budget.ts';

export type { ContextWindowPolicy } from '../generation/context-budget.ts';


/** Bytes allowed for the rest of a request (model, options, tools, JSON framing). */
const REQUEST_OVERHEAD_BYTES = 4_096;

export const messageTokens = (m: ChatMessage): number => estimateInputTokens({ messages: [m] });
export const messageBytes = (m: ChatMessage): number => Buffer.byteLength(JSON.stringify(m));

/**
 * The messages to send: the last `turnLength` messages (this turn) always, and as much of the
 * history before them as fits, newest first.
 */
export function fitReplay(messages: readonly ChatMessage[], turnLength: number, system: string | undefined, model: string, policy: ContextWindowPolicy): ChatMessage[] {
  const maxTokens = tokenBudget(model, policy);
  let start = Math.max(0, messages.length - turnLength);
  // tool results keep the assistant message that made the calls
  while (start > 0 && start < messages.length && messages[start]!.role === 'tool') start--;
  const turn = messages.slice(start);
  let tokens = estimateInputTokens({ system, messages: turn });
  let bytes = REQUEST_OVERHEAD_BYTES + (system ? Buffer.byteLength(JSON.stringify(system)) : 0) + turn.reduce((n, m) => n + messageBytes(m), 0);
  if (tokens > maxTokens || bytes > policy.maxBodyBytes) {
    throw new AppError('BAD_INPUT', `The message and system prompt need about ${tokens} tokens, over this model's context limit of ${maxTokens} (MAX_CONTEXT_TOKENS)`, { field: 'message' });
  }
  let keep = start;
  for (let i = start - 1; i >= 0; i--) {
    const m = messages[i]!;
    const t = messageTokens(m);
    const b = messageBytes(m);
    if (tokens + t > maxTokens || bytes + b > policy.maxBodyBytes) break;
    tokens += t;
    bytes += b;
    keep = i;
  }
  while (keep < start && messages[keep]!.role !== 'user') keep++;
  return [...messages.slice(keep, start), ...turn];
}

/**
 * The least a stored message can add to a replay whatever comes before it: a user message whole;
 * an assistant message its text (its tool calls may be dropped as unanswered); a tool result or an
 * empty assistant message nothing (either may be dropped). Reading stops once these add up past
 * the budget (chat/recent-history.ts): no older message could be replayed.
 */
export function replayFloor(m: ChatMessage): { tokens: number; bytes: number } {
  if (m.role === 'user') return { tokens: messageTokens(m), bytes: messageBytes(m) };
  if (m.role === 'assistant' && m.content !== '') {
    const text: ChatMessage = { role: 'assistant', content: m.content };
    return { tokens: messageTokens(text), bytes: messageBytes(text) };
  }
  return { tokens: 0, bytes: 0 };
}

/** The history to replay before one new turn (oldest first): fitReplay for a single message. */
export function fitHistory(history: readonly ChatMessage[], turn: ChatMessage, system: string | undefined, model: string, policy: ContextWindowPolicy): ChatMessage[] {
  return fitReplay([...history, turn], 1, system, model, policy).slice(0, -1);
}
