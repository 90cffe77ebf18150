// Simulated POST /ai/v1/chat/completions (OpenAI Chat Completions): text, tool_calls (streamed
// as index/id/name then argument fragments), reasoning_content (as non-OpenAI providers send it).
import {
  type Frame,
  isRecord,
  openAiUsage,
  optionalMaxTokens,
  parseJsonFormat,
  parseMessages,
  parseToolChoice,
  parseTools,
  requireModel,
  BadSimRequest,
  type SimFormat,
  sseData,
} from './shared.ts';
import type { SimulatedReply } from '../reply.ts';

/** The tool_calls of a message (OpenAI shape). */
export const openAiToolCalls = (reply: SimulatedReply) =>
  reply.toolCalls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.arguments } }));

/** OpenAI-style chunk deltas for reasoning, text and tool calls, in that order (shared with /ai/run). */
export function openAiDeltas(reply: SimulatedReply): Array<{ delta: Record<string, unknown>; text: boolean }> {
  const out: Array<{ delta: Record<string, unknown>; text: boolean }> = [];
  for (const text of reply.reasoningChunks) out.push({ delta: { reasoning_content: text }, text: false });
  for (const text of reply.chunks) out.push({ delta: { content: text }, text: true });
  reply.toolCalls.forEach((call, index) => {
    out.push({ delta: { tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.name, arguments: '' } }] }, text: false });
    for (const fragment of call.chunks) out.push({ delta: { tool_calls: [{ index, function: { arguments: fragment } }] }, text: false });
  });
  return out;
}

export const chatCompletionsSim: SimFormat = {
  providerShape: 'openai',
  idPrefix: 'chatcmpl-',
  parse(body) {
    if (!isRecord(body)) throw new BadSimRequest('body must be a JSON object');
    const streamOptions = isRecord(body.stream_options) ? body.stream_options : {};
    return {
      model: requireModel(body),
      messages: parseMessages(body.messages, 'messages'),
      maxTokens: optionalMaxTokens(body.max_completion_tokens ?? body.max_tokens, 'max_tokens'),
      stream: body.stream === true,
      includeUsage: streamOptions.include_usage === true,
      tools: parseTools(body.tools),
      toolChoice: parseToolChoice(body.tool_choice),
      json: parseJsonFormat(body.response_format),
      ...(typeof body.reasoning_effort === 'string' && { reasoning: body.reasoning_effort }),
    };
  },
  json(reply, ctx) {
    const message = {
      role: 'assistant',
      content: reply.toolCalls.length > 0 && reply.text === '' ? null : reply.text,
      refusal: null,
      annotations: [],
      ...(reply.toolCalls.length > 0 && { tool_calls: openAiToolCalls(reply) }),
      ...(reply.reasoningText && { reasoning_content: reply.reasoningText }),
    };
    return {
      id: ctx.id,
      object: 'chat.completion',
      created: ctx.created,
      model: reply.servedModel,
      choices: [{ index: 0, message, logprobs: null, finish_reason: reply.finishReason }],
      usage: openAiUsage(reply.usage),
    };
  },
  frames(reply, ctx, req) {
    const chunk = (choices: unknown[], usage: unknown = null): string =>
      sseData({ id: ctx.id, object: 'chat.completion.chunk', created: ctx.created, model: reply.servedModel, choices, ...(req.includeUsage ? { usage } : {}) });
    const frames: Frame[] = [{ text: chunk([{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }]) }];
    for (const { delta, text } of openAiDeltas(reply)) frames.push({ text: chunk([{ index: 0, delta, logprobs: null, finish_reason: null }]), delta: text });
    frames.push({ text: chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: reply.finishReason }]) });
    if (req.includeUsage) frames.push({ text: chunk([], openAiUsage(reply.usage)) });
    frames.push({ text: sseData('[DONE]') });
    return frames;
  },
  errorFrame: () => ({
    text: sseData({ error: { message: 'The server had an error while processing your request.', type: 'server_error', param: null, code: 'server_error' } }),
  }),
};
