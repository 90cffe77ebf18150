// Estimated usage, for rows whose upstream reported no final usage (the client left, the stream
// was cut before its closing usage event, the process died) and for the context window. Never
// for reservations: those use the upper bound of limits/reservation-bound.ts. The rule,
// documented in README.md "The ledger":
// - input: the request's characters (system prompt + every message, its tool calls and results)
//   / 4, rounded up, plus 4 tokens per message for the wire format's framing, plus a fixed
//   estimate per image;
// - output: the characters of text produced so far / 4, rounded up.
// Rows carrying an estimate have usageEstimated = true; reconciliation may replace it later.
import { emptyUsage, type UpstreamRequest, type Usage } from '../../upstream/call-vocabulary.ts';
import { extraChars, imageTokens } from '../generation/message-input.ts';

export const CHARS_PER_TOKEN = 4;

/** Input tokens a request uses, estimated from its characters. */
export function estimateInputTokens(request: Pick<UpstreamRequest, 'system' | 'messages'>): number {
  let chars = request.system?.length ?? 0;
  let images = 0;
  for (const m of request.messages) {
    // Tool calls and results count as text; each image as a fixed estimate.
    chars += m.content.length + extraChars(m);
    images += imageTokens(m);
  }
  return Math.ceil(chars / CHARS_PER_TOKEN) + 4 * request.messages.length + images;
}

export function estimateOutputTokens(text: string): number {
  return Math.ceil(text.length / CHARS_PER_TOKEN);
}

/** The estimate for a call whose upstream reported no usage: input from the request, output from the text so far. */
export function estimatedUsage(inputTokens: number, text: string): Usage {
  const outputTokens = estimateOutputTokens(text);
  return { ...emptyUsage(), inputTokens, outputTokens, totalTokens: inputTokens + outputTokens };
}
