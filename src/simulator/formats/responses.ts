// Simulated POST /ai/v1/responses (OpenAI Responses): event:/data: frames with sequence_number.
// Output items in order: a reasoning item (summary) when reasoning was asked, then either the
// function_call items or the message.
import type { SimulatedReply } from '../reply.ts';
import {
  BadSimRequest,
  contentText,
  type Frame,
  isRecord,
  type Json,
  optionalMaxTokens,
  parseJsonFormat,
  parseMessages,
  parseToolChoice,
  parseTools,
  requireModel,
  responsesUsage,
  type SimContext,
  type SimFormat,
  sseEvent,
} from './shared.ts';

const suffix = (ctx: SimContext): string => ctx.id.slice('resp_'.length);
const messageId = (ctx: SimContext): string => `msg_${suffix(ctx)}`;
const reasoningId = (ctx: SimContext): string => `rs_${suffix(ctx)}`;
const functionCallId = (ctx: SimContext, index: number): string => `fc_${index}_${suffix(ctx)}`;

function messageItem(reply: SimulatedReply, ctx: SimContext, status: string): Json {
  return {
    id: messageId(ctx),
    type: 'message',
    role: 'assistant',
    status,
    content: status === 'in_progress' ? [] : [{ type: 'output_text', text: reply.text, annotations: [] }],
  };
}

function reasoningItem(reply: SimulatedReply, ctx: SimContext, done: boolean): Json {
  return { id: reasoningId(ctx), type: 'reasoning', summary: done ? [{ type: 'summary_text', text: reply.reasoningText }] : [] };
}

function functionCallItem(reply: SimulatedReply, ctx: SimContext, index: number, done: boolean): Json {
  const call = reply.toolCalls[index]!;
  return { id: functionCallId(ctx, index), type: 'function_call', call_id: call.id, name: call.name, arguments: done ? call.arguments : '', status: done ? 'completed' : 'in_progress' };
}

/** The final output items, in order. */
function outputItems(reply: SimulatedReply, ctx: SimContext): Json[] {
  return [
    ...(reply.reasoningText ? [reasoningItem(reply, ctx, true)] : []),
    ...(reply.toolCalls.length > 0 ? reply.toolCalls.map((_, i) => functionCallItem(reply, ctx, i, true)) : [messageItem(reply, ctx, 'completed')]),
  ];
}

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
    output: final ? outputItems(reply, ctx) : [],
    parallel_tool_calls: true,
    tool_choice: 'auto',
    tools: [],
    usage: final ? responsesUsage(reply.usage) : null,
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
    if (body.stop !== undefined) throw new BadSimRequest("Unknown parameter: 'stop'.");
    const reasoning = isRecord(body.reasoning) && typeof body.reasoning.effort === 'string' ? body.reasoning.effort : undefined;
    return {
      model: requireModel(body),
      messages,
      system: typeof body.instructions === 'string' ? contentText(body.instructions) : undefined,
      maxTokens: optionalMaxTokens(body.max_output_tokens, 'max_output_tokens'),
      stream: body.stream === true,
      includeUsage: true,
      tools: parseTools(body.tools),
      toolChoice: parseToolChoice(body.tool_choice),
      json: parseJsonFormat(isRecord(body.text) ? body.text.format : undefined),
      ...(reasoning && { reasoning }),
    };
  },
  json: (reply, ctx, req) => responseObject(reply, ctx, req.system, true),
  frames(reply, ctx, req) {
    let seq = 0;
    const frame = (type: string, data: Json, delta = false): Frame => ({ text: sseEvent(type, { type, sequence_number: seq++, ...data }), delta });
    const final = responseObject(reply, ctx, req.system, true);
    const frames: Frame[] = [
      frame('response.created', { response: responseObject(reply, ctx, req.system, false) }),
      frame('response.in_progress', { response: responseObject(reply, ctx, req.system, false) }),
    ];
    let outputIndex = 0;
    if (reply.reasoningText) {
      const at = { item_id: reasoningId(ctx), output_index: outputIndex, summary_index: 0 };
      frames.push(
        frame('response.output_item.added', { output_index: outputIndex, item: reasoningItem(reply, ctx, false) }),
        frame('response.reasoning_summary_part.added', { ...at, part: { type: 'summary_text', text: '' } }),
      );
      for (const text of reply.reasoningChunks) frames.push(frame('response.reasoning_summary_text.delta', { ...at, delta: text }));
      frames.push(
        frame('response.reasoning_summary_text.done', { ...at, text: reply.reasoningText }),
        frame('response.reasoning_summary_part.done', { ...at, part: { type: 'summary_text', text: reply.reasoningText } }),
        frame('response.output_item.done', { output_index: outputIndex, item: reasoningItem(reply, ctx, true) }),
      );
      outputIndex += 1;
    }
    if (reply.toolCalls.length > 0) {
      reply.toolCalls.forEach((call, i) => {
        const at = { item_id: functionCallId(ctx, i), output_index: outputIndex };
        frames.push(frame('response.output_item.added', { output_index: outputIndex, item: functionCallItem(reply, ctx, i, false) }));
        for (const fragment of call.chunks) frames.push(frame('response.function_call_arguments.delta', { ...at, delta: fragment }));
        frames.push(
          frame('response.function_call_arguments.done', { ...at, name: call.name, arguments: call.arguments }),
          frame('response.output_item.done', { output_index: outputIndex, item: functionCallItem(reply, ctx, i, true) }),
        );
        outputIndex += 1;
      });
    } else {
      const base = { item_id: messageId(ctx), output_index: outputIndex, content_index: 0 };
      frames.push(
        frame('response.output_item.added', { output_index: outputIndex, item: messageItem(reply, ctx, 'in_progress') }),
        frame('response.content_part.added', { ...base, part: { type: 'output_text', text: '', annotations: [] } }),
      );
      for (const text of reply.chunks) frames.push(frame('response.output_text.delta', { ...base, delta: text, logprobs: [] }, true));
      frames.push(
        frame('response.output_text.done', { ...base, text: reply.text, logprobs: [] }),
        frame('response.content_part.done', { ...base, part: { type: 'output_text', text: reply.text, annotations: [] } }),
        frame('response.output_item.done', { output_index: outputIndex, item: messageItem(reply, ctx, 'completed') }),
      );
    }
    frames.push(frame(final.status === 'incomplete' ? 'response.incomplete' : 'response.completed', { response: final }));
    return frames;
  },
  errorFrame: () => ({
    text: sseEvent('error', { type: 'error', code: 'server_error', message: 'The server had an error while processing your request.', param: null, sequence_number: 0 }),
  }),
};
