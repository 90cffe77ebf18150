// Simulated POST /ai/v1/messages (Anthropic Messages): message_start (input + cache usage),
// content blocks (thinking, text, tool_use), ping, message_delta (cumulative output usage),
// message_stop. JSON output arrives as a forced tool (tool_choice {type: tool}), as on the wire.
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
  parseToolChoice,
  parseTools,
  requireModel,
  type SimFormat,
  sseEvent,
} from './shared.ts';

const STOP_REASON = { stop: 'end_turn', length: 'max_tokens', tool_calls: 'tool_use' } as const;
const stopReason = (reply: SimulatedReply): string => STOP_REASON[reply.finishReason];
const toolUseId = (id: string): string => `toolu_${id.slice('call_'.length)}`;
const SIGNATURE = 'c2ltdWxhdGVkLXNpZ25hdHVyZQ==';

/** Reasoning effort from thinking.budget_tokens (>= 1024, below max_tokens, as Anthropic requires). */
function thinkingEffort(thinking: unknown, maxTokens: number): string | undefined {
  if (!isRecord(thinking) || thinking.type !== 'enabled') return undefined;
  const budget = thinking.budget_tokens;
  if (typeof budget !== 'number' || !Number.isInteger(budget) || budget < 1024) throw new BadSimRequest('thinking.budget_tokens: must be an integer >= 1024');
  if (budget >= maxTokens) throw new BadSimRequest('max_tokens must be greater than thinking.budget_tokens');
  return budget <= 1024 ? 'low' : budget <= 4096 ? 'medium' : 'high';
}

function contentBlocks(reply: SimulatedReply): Json[] {
  return [
    ...(reply.reasoningText ? [{ type: 'thinking', thinking: reply.reasoningText, signature: SIGNATURE }] : []),
    ...(reply.text !== '' || reply.toolCalls.length === 0 ? [{ type: 'text', text: reply.text }] : []),
    ...reply.toolCalls.map((c) => ({ type: 'tool_use', id: toolUseId(c.id), name: c.name, input: JSON.parse(c.arguments) as unknown })),
  ];
}

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
    const reasoning = thinkingEffort(body.thinking, maxTokens);
    const toolChoice = parseToolChoice(body.tool_choice);
    if (reasoning && (toolChoice?.mode === 'tool' || toolChoice?.mode === 'required')) {
      throw new BadSimRequest('Thinking may not be enabled when tool_choice forces tool use.');
    }
    return {
      model: requireModel(body),
      messages,
      system: body.system === undefined ? undefined : contentText(body.system),
      maxTokens,
      stream: body.stream === true,
      includeUsage: true,
      tools: parseTools(body.tools),
      toolChoice,
      ...(reasoning && { reasoning }),
    };
  },
  json(reply, ctx): Json {
    return {
      id: ctx.id,
      type: 'message',
      role: 'assistant',
      model: reply.servedModel,
      content: contentBlocks(reply),
      stop_reason: stopReason(reply),
      stop_sequence: null,
      usage: anthropicUsage(reply.usage),
    };
  },
  frames(reply, ctx) {
    const frame = (type: string, data: Json, delta = false): Frame => ({ text: sseEvent(type, { type, ...data }), delta });
    const { output_tokens_details: _details, ...startUsage } = anthropicUsage(reply.usage);
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
          usage: { ...startUsage, output_tokens: 1 },
        },
      }),
    ];
    let index = 0;
    const block = (start: Json, deltas: Array<{ delta: Json; text?: boolean }>) => {
      frames.push(frame('content_block_start', { index, content_block: start }));
      if (index === 0) frames.push(frame('ping', {}));
      for (const d of deltas) frames.push(frame('content_block_delta', { index, delta: d.delta }, d.text === true));
      frames.push(frame('content_block_stop', { index }));
      index += 1;
    };
    if (reply.reasoningText) {
      block({ type: 'thinking', thinking: '', signature: '' }, [
        ...reply.reasoningChunks.map((thinking) => ({ delta: { type: 'thinking_delta', thinking } })),
        { delta: { type: 'signature_delta', signature: SIGNATURE } },
      ]);
    }
    if (reply.text !== '' || reply.toolCalls.length === 0) {
      block({ type: 'text', text: '' }, reply.chunks.map((text) => ({ delta: { type: 'text_delta', text }, text: true })));
    }
    for (const call of reply.toolCalls) {
      block(
        { type: 'tool_use', id: toolUseId(call.id), name: call.name, input: {} },
        call.chunks.map((partial_json) => ({ delta: { type: 'input_json_delta', partial_json } })),
      );
    }
    const usage = anthropicUsage(reply.usage);
    frames.push(
      frame('message_delta', {
        delta: { stop_reason: stopReason(reply), stop_sequence: null },
        usage: { output_tokens: reply.usage.outputTokens, ...(usage.output_tokens_details ? { output_tokens_details: usage.output_tokens_details } : {}) },
      }),
      frame('message_stop', {}),
    );
    return frames;
  },
  errorFrame: () => ({ text: sseEvent('error', { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }) }),
};
