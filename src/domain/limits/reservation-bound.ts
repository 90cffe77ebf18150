// The most a call can cost, for reservations (contract "Budgets are upper bounds"): never an
// average, so no text, however dense, makes a call cost more than it reserved.
// - input: the UTF-8 bytes of every text the call sends (system prompt, each message's content,
//   its tool calls and the id of the call a tool result answers, tool definitions, the JSON
//   schema of a JSON output, stop sequences, and on the SDK surfaces every other field of the
//   caller's body as it is sent) plus fixed allowances per request, per message, per image and for
//   tool use. No tokenizer makes more tokens than bytes;
// - output: the call's maxTokens (the call runner sends the model's output cap when the caller
//   gave none, so every call has one);
// - USD: those tokens at the model's price, each input token at the dearest input category
//   (base, cache read, cache write) and each output token at the dearer of output and reasoning.
import type { BilledUnits, ChatMessage, UpstreamRequest, Usage } from '../../upstream/call-vocabulary.ts';
import { emptyUsage } from '../../upstream/call-vocabulary.ts';
import type { CallCost, Pricing } from '../pricing/pricing.ts';
import { usdToUnits } from './money.ts';

/** Tokens a request's framing can add (roles, separators, the reply's priming). */
export const REQUEST_ALLOWANCE_TOKENS = 64;
/** Tokens a message's framing can add (its role and delimiters). */
export const MESSAGE_ALLOWANCE_TOKENS = 16;
/**
 * Tokens one image can cost: providers bill by pixels and cap the size they read (Anthropic
 * about 1,600 tokens for the largest image it reads; OpenAI's patch-based models up to 1,536
 * patches times a per-model multiplier, under 4,096).
 */
export const IMAGE_ALLOWANCE_TOKENS = 4_096;
/** Tokens a provider adds when tools (or JSON output through a forced tool) are offered: its tool-use system prompt. */
export const TOOL_USE_ALLOWANCE_TOKENS = 1_024;

const bytes = (text: string | undefined | null): number => (text ? Buffer.byteLength(text, 'utf8') : 0);

function messageBytes(m: ChatMessage): number {
  let n = bytes(m.content) + bytes(m.toolCallId);
  for (const call of m.toolCalls ?? []) n += bytes(call.id) + bytes(call.name) + bytes(call.arguments);
  // An image sent by URL also sends its URL as text.
  for (const image of m.images ?? []) if ('url' in image) n += bytes(image.url);
  return n;
}

/** The SDK surfaces' body fields counted through the request itself (its messages and system prompt). */
const READ_FROM_BODY = new Set(['messages', 'input', 'system', 'instructions']);
/** Body fields that offer tools or a structured output (the provider's tool-use prompt comes with them). */
const TOOL_USE_FIELDS = ['tools', 'response_format', 'text', 'tool_choice', 'output_config'];

/** The bytes of the SDK surfaces' other body fields (tools, schemas, stop, ...), as they are sent. */
function extraBodyBytes(extra: Record<string, unknown> | undefined): number {
  let n = 0;
  for (const [field, value] of Object.entries(extra ?? {})) if (!READ_FROM_BODY.has(field) && value !== undefined) n += bytes(JSON.stringify(value));
  return n;
}

/** The most input tokens a request can be billed for. */
export function inputTokenBound(request: Pick<UpstreamRequest, 'system' | 'messages' | 'tools' | 'responseFormat' | 'stop' | 'extraBody'>): number {
  let tokens = REQUEST_ALLOWANCE_TOKENS + bytes(request.system);
  for (const m of request.messages) {
    tokens += MESSAGE_ALLOWANCE_TOKENS + messageBytes(m) + IMAGE_ALLOWANCE_TOKENS * (m.images?.length ?? 0);
  }
  for (const tool of request.tools ?? []) tokens += bytes(JSON.stringify({ name: tool.name, description: tool.description ?? '', parameters: tool.parameters }));
  const format = request.responseFormat;
  if (format?.type === 'JSON_SCHEMA') tokens += bytes(JSON.stringify(format.schema)) + bytes(format.name);
  const extraToolUse = TOOL_USE_FIELDS.some((field) => request.extraBody?.[field] !== undefined && request.extraBody[field] !== null);
  if (request.tools?.length || (format !== undefined && format.type !== 'TEXT') || extraToolUse) tokens += TOOL_USE_ALLOWANCE_TOKENS;
  for (const stop of request.stop ?? []) tokens += bytes(stop);
  return tokens + extraBodyBytes(request.extraBody);
}

/** A route names no model: Cloudflare picks one when it answers (dynamic/<route>, cloudflare/auto). */
export const isRoute = (model: string): boolean => model.startsWith('dynamic/') || model === 'cloudflare/auto';

/**
 * The models whose price bounds a call to `model`: the model itself; for a route, every model it
 * may pick: the key's allow-list (its model ids), else every priced text model. Settlement prices
 * the served model and returns the difference.
 */
export function boundingModels(pricing: Pricing, model: string, allowedModels: readonly string[]): readonly string[] {
  if (!isRoute(model)) return [model];
  const allowed = allowedModels.filter((m) => !isRoute(m));
  if (allowed.length > 0) return allowed;
  const priced = pricing.pricedTextModels?.() ?? [];
  return priced.length > 0 ? priced : [model];
}

const INPUT_CATEGORIES: ReadonlyArray<keyof Pick<Usage, 'inputTokens' | 'cachedInputTokens' | 'cacheWriteTokens'>> = ['inputTokens', 'cachedInputTokens', 'cacheWriteTokens'];

/**
 * The most `inputTokens` input and `outputTokens` output can cost at the price in force at `at`
 * of any of `models`: the dearest model and, for each, the dearest of every split over the
 * price's categories (the cost is linear, so the dearest split puts all input in one category
 * and all output in one). costUsd null as soon as one model is unpriced.
 */
export function dearestCost(pricing: Pricing, models: readonly string[], inputTokens: number, outputTokens: number, at: Date, billed?: BilledUnits): CallCost {
  let dearest: { cost: CallCost; units: bigint } | undefined;
  for (const model of models) {
    for (const category of INPUT_CATEGORIES) {
      for (const reasoningTokens of [0, outputTokens]) {
        const usage: Usage = { ...emptyUsage(), [category]: inputTokens, outputTokens, reasoningTokens, totalTokens: inputTokens + outputTokens };
        const cost = pricing.costOf(model, usage, at, billed);
        if (cost.costUsd === null) return cost;
        const units = usdToUnits(cost.costUsd);
        if (!dearest || units > dearest.units) dearest = { cost, units };
      }
    }
  }
  return dearest?.cost ?? { costUsd: null, priceVersionId: null };
}

/** The most a call can cost at one model's price (dearestCost of that model alone). */
export const worstCaseCost = (pricing: Pricing, model: string, inputTokens: number, outputTokens: number, at: Date, billed?: BilledUnits): CallCost =>
  dearestCost(pricing, [model], inputTokens, outputTokens, at, billed);
