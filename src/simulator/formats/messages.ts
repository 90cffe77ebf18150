// Simulated POST /ai/v1/messages (Anthropic Messages): message_start (input + cache usage),
// content blocks, ping, message_delta (cumulative output usage), message_stop.
import type { SimulatedReply } from '../reply.ts';
import {
  anthropicUsage,
  BadSimRequest,
  contentText,
  type Frame,
  isRecord,
  type Json,
  optionalMaxTokens,
  parseMessages,
  requireModel,
  type SimFormat,
  sseEvent,
} from './shared.ts';

const stopReason = (reply: SimulatedReply): string => (reply.finishReason === 'length' ? 'max_tokens' : 'end_turn');

export const messagesSim: SimFormat = {
  providerShape: 'anthropic',
  idPrefix: 'msg_',
  parse(body) {
    if (!isRecord(body)) throw new BadSimRequest('body must be a JSON object');
    const maxTokens = optionalMaxTokens(body.max_tokens, 'max_tokens');
    if (maxTokens === undefined) throw new BadSimRequest('max_tokens: Field required');
    const messages = parseMessages(body.messages, 'messages');
    if (messages.some((m) => m.role === 'system')) {
      throw new BadSimRequest('messages: Unexpected role "system". Use the top-level system parameter.');
    }
    return {
      model: requireModel(body),
      messages,
      system: body.system === undefined ? undefined : contentText(body.system),
      maxTokens,
      stream: body.stream === true,
      includeUsage: true,
    };
  },
  json(reply, ctx): Json {
    return {
      id: ctx.id,
      type: 'message',
      role: 'assistant',
      model: reply.servedModel,
      content: [{ type: 'text', text: reply.text }],
      stop_reason: stopReason(reply),
      stop_sequence: null,
      usage: anthropicUsage(reply.usage),
    };
  },
  frames(reply, ctx) {
    const frame = (type: string, data: Json, delta = false): Frame => ({ text: sseEvent(type, { type, ...data }), delta });
    const frames: Frame[] = [
      frame('message_start', {
        message: {
          id: ctx.id,
          type: 'message',
          role: 'assistant',
          model: reply.servedModel,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { ...anthropicUsage(reply.usage), output_tokens: 1 },
        },
      }),
      frame('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
      frame('ping', {}),
    ];
    for (const text of reply.chunks) frames.push(frame('content_block_delta', { index: 0, delta: { type: 'text_delta', text } }, true));
    frames.push(
      frame('content_block_stop', { index: 0 }),
      frame('message_delta', { delta: { stop_reason: stopReason(reply), stop_sequence: null }, usage: { output_tokens: reply.usage.outputTokens } }),
      frame('message_stop', {}),
    );
    return frames;
  },
  errorFrame: () => ({ text: sseEvent('error', { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }) }),
};
