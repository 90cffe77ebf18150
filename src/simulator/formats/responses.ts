// Simulated POST /ai/v1/responses (OpenAI Responses): event:/data: frames with sequence_number.
import type { SimulatedReply } from '../reply.ts';
import {
  BadSimRequest,
  contentText,
  type Frame,
  isRecord,
  type Json,
  optionalMaxTokens,
  parseMessages,
  requireModel,
  responsesUsage,
  type SimContext,
  type SimFormat,
  sseEvent,
} from './shared.ts';

function responseObject(reply: SimulatedReply, ctx: SimContext, system: string | undefined, final: boolean): Json {
  const incomplete = reply.finishReason === 'length';
  const status = !final ? 'in_progress' : incomplete ? 'incomplete' : 'completed';
  return {
    id: ctx.id,
    object: 'response',
    created_at: ctx.created,
    status,
    error: null,
    incomplete_details: final && incomplete ? { reason: 'max_output_tokens' } : null,
    instructions: system ?? null,
    model: reply.servedModel,
    output: final ? [messageItem(reply, ctx, 'completed')] : [],
    parallel_tool_calls: true,
    tool_choice: 'auto',
    tools: [],
    usage: final ? responsesUsage(reply.usage) : null,
  };
}

const itemId = (ctx: SimContext): string => `msg_${ctx.id.slice('resp_'.length)}`;

function messageItem(reply: SimulatedReply, ctx: SimContext, status: string, text = reply.text): Json {
  return {
    id: itemId(ctx),
    type: 'message',
    role: 'assistant',
    status,
    content: status === 'in_progress' ? [] : [{ type: 'output_text', text, annotations: [] }],
  };
}

export const responsesSim: SimFormat = {
  providerShape: 'openai',
  idPrefix: 'resp_',
  parse(body) {
    if (!isRecord(body)) throw new BadSimRequest('body must be a JSON object');
    const messages =
      typeof body.input === 'string'
        ? [{ role: 'user' as const, content: body.input }]
        : parseMessages(body.input, 'input');
    if (body.instructions !== undefined && body.instructions !== null && typeof body.instructions !== 'string') {
      throw new BadSimRequest('instructions must be a string');
    }
    return {
      model: requireModel(body),
      messages,
      system: typeof body.instructions === 'string' ? contentText(body.instructions) : undefined,
      maxTokens: optionalMaxTokens(body.max_output_tokens, 'max_output_tokens'),
      stream: body.stream === true,
      includeUsage: true,
    };
  },
  json: (reply, ctx, req) => responseObject(reply, ctx, req.system, true),
  frames(reply, ctx, req) {
    let seq = 0;
    const frame = (type: string, data: Json, delta = false): Frame => ({ text: sseEvent(type, { type, sequence_number: seq++, ...data }), delta });
    const base = { item_id: itemId(ctx), output_index: 0, content_index: 0 };
    const final = responseObject(reply, ctx, req.system, true);
    const frames: Frame[] = [
      frame('response.created', { response: responseObject(reply, ctx, req.system, false) }),
      frame('response.in_progress', { response: responseObject(reply, ctx, req.system, false) }),
      frame('response.output_item.added', { output_index: 0, item: messageItem(reply, ctx, 'in_progress') }),
      frame('response.content_part.added', { ...base, part: { type: 'output_text', text: '', annotations: [] } }),
    ];
    for (const text of reply.chunks) frames.push(frame('response.output_text.delta', { ...base, delta: text, logprobs: [] }, true));
    frames.push(
      frame('response.output_text.done', { ...base, text: reply.text, logprobs: [] }),
      frame('response.content_part.done', { ...base, part: { type: 'output_text', text: reply.text, annotations: [] } }),
      frame('response.output_item.done', { output_index: 0, item: messageItem(reply, ctx, 'completed') }),
      frame(final.status === 'incomplete' ? 'response.incomplete' : 'response.completed', { response: final }),
    );
    return frames;
  },
  errorFrame: () => ({
    text: sseEvent('error', { type: 'error', code: 'server_error', message: 'The server had an error while processing your request.', param: null, sequence_number: 0 }),
  }),
};
