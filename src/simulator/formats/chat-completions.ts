// Simulated POST /ai/v1/chat/completions (OpenAI Chat Completions).
import {
  type Frame,
  isRecord,
  openAiUsage,
  optionalMaxTokens,
  parseMessages,
  requireModel,
  BadSimRequest,
  type SimFormat,
  sseData,
} from './shared.ts';

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
    };
  },
  json(reply, ctx) {
    return {
      id: ctx.id,
      object: 'chat.completion',
      created: ctx.created,
      model: reply.servedModel,
      choices: [
        { index: 0, message: { role: 'assistant', content: reply.text, refusal: null, annotations: [] }, logprobs: null, finish_reason: reply.finishReason },
      ],
      usage: openAiUsage(reply.usage),
    };
  },
  frames(reply, ctx, req) {
    const chunk = (choices: unknown[], usage: unknown = null): string =>
      sseData({ id: ctx.id, object: 'chat.completion.chunk', created: ctx.created, model: reply.servedModel, choices, ...(req.includeUsage ? { usage } : {}) });
    const frames: Frame[] = [{ text: chunk([{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }]) }];
    for (const text of reply.chunks) frames.push({ text: chunk([{ index: 0, delta: { content: text }, logprobs: null, finish_reason: null }]), delta: true });
    frames.push({ text: chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: reply.finishReason }]) });
    if (req.includeUsage) frames.push({ text: chunk([], openAiUsage(reply.usage)) });
    frames.push({ text: sseData('[DONE]') });
    return frames;
  },
  errorFrame: () => ({
    text: sseData({ error: { message: 'The server had an error while processing your request.', type: 'server_error', param: null, code: 'server_error' } }),
  }),
};
