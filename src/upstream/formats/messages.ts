// POST /ai/v1/messages: Anthropic Messages wire. Usage comes from message_start (input and cache
// fields) merged with the cumulative usage of message_delta; message_stop is terminal.
import type { UpstreamEvent } from '../../call-vocabulary.ts';
import {
  arr,
  type Json,
  normalizeFinishReason,
  type ParsedResult,
  readFrame,
  rec,
  requireObject,
  str,
  type StreamMapper,
  usageFromAnthropic,
  type WireFormat,
} from './shared.ts';

/** Anthropic requires max_tokens; used when the request has none. */
export const DEFAULT_ANTHROPIC_MAX_TOKENS = 4096;

export function parseAnthropicMessage(body: Json): ParsedResult {
  const text = arr(body.content)
    .map(rec)
    .filter((block) => block.type === 'text')
    .map((block) => str(block.text) ?? '')
    .join('');
  return {
    text,
    finishReason: normalizeFinishReason(body.stop_reason),
    servedModel: str(body.model),
    usage: usageFromAnthropic(body.usage),
  };
}

const isAnthropicError = (frame: Json, event: { event?: string }): boolean => frame.type === 'error' || event.event === 'error';

/** The Anthropic event state machine; `frame` is one parsed event. Shared with /ai/run for anthropic/* models. */
export class AnthropicStreamState {
  #usage: Json = {};
  #finishReason?: string;
  #servedModel?: string;

  apply(frame: Json): UpstreamEvent[] {
    switch (frame.type) {
      case 'message_start': {
        const message = rec(frame.message);
        this.#servedModel = str(message.model);
        this.#merge(message.usage);
        // Known from the start: a stream cut short still records its input tokens.
        return [{ type: 'usage', usage: usageFromAnthropic(this.#usage) }];
      }
      case 'content_block_delta': {
        const delta = rec(frame.delta);
        const text = delta.type === 'text_delta' ? str(delta.text) : undefined;
        return text ? [{ type: 'delta', text }] : [];
      }
      case 'message_delta':
        this.#finishReason = normalizeFinishReason(rec(frame.delta).stop_reason) ?? this.#finishReason;
        this.#merge(frame.usage);
        return [];
      case 'message_stop':
        return [
          { type: 'usage', usage: usageFromAnthropic(this.#usage) },
          { type: 'done', finishReason: this.#finishReason ?? 'stop', servedModel: this.#servedModel },
        ];
      default:
        return []; // ping, content_block_start/stop, unknown future events
    }
  }

  /** message_delta usage is cumulative: its non-null fields replace message_start's. */
  #merge(raw: unknown): void {
    for (const [key, value] of Object.entries(rec(raw))) if (typeof value === 'number') this.#usage[key] = value;
  }
}

export const messages: WireFormat = {
  api: 'MESSAGES',
  path: () => '/ai/v1/messages',
  toWireBody(req, stream) {
    const system = [req.system, ...req.messages.filter((m) => m.role === 'system').map((m) => m.content)]
      .filter((s): s is string => typeof s === 'string' && s !== '')
      .join('\n\n');
    return {
      model: req.model,
      max_tokens: req.maxTokens ?? DEFAULT_ANTHROPIC_MAX_TOKENS,
      ...(system ? { system } : {}),
      messages: req.messages.filter((m) => m.role !== 'system').map((m) => ({ role: m.role, content: m.content })),
      ...(req.temperature !== undefined ? { temperature: Math.min(req.temperature, 1) } : {}),
      ...(stream ? { stream: true } : {}),
    };
  },
  parseResult: (body) => parseAnthropicMessage(requireObject(body, 'messages')),
  createEventMapper(secrets): StreamMapper {
    const state = new AnthropicStreamState();
    return {
      push(event) {
        const read = readFrame(event, secrets, isAnthropicError);
        if ('done' in read) return [];
        if ('error' in read) return [read.error];
        return state.apply(read.frame);
      },
    };
  },
};
