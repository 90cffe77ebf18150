// Simulated POST /ai/run ({model, input}) and legacy POST /ai/run/@cf/{model} (the model's own
// input): v4 envelope {result: {response, usage}} or `data: {"response": ...}` frames + [DONE].
import {
  BadSimRequest,
  type Frame,
  isRecord,
  openAiUsage,
  optionalMaxTokens,
  parseMessages,
  type SimFormat,
  sseData,
} from './shared.ts';

export const runSim: SimFormat = {
  providerShape: 'workers',
  idPrefix: 'run-',
  parse(body, pathModel) {
    if (!isRecord(body)) throw new BadSimRequest('body must be a JSON object');
    let model = pathModel;
    let input: unknown = body;
    if (pathModel === undefined) {
      if (typeof body.model !== 'string' || body.model === '') throw new BadSimRequest('model is required');
      if (!isRecord(body.input)) throw new BadSimRequest('input must be an object');
      model = body.model;
      input = body.input;
    }
    const fields = isRecord(input) ? input : {};
    const messages =
      typeof fields.prompt === 'string' ? [{ role: 'user' as const, content: fields.prompt }] : parseMessages(fields.messages, 'messages');
    return {
      model: model ?? '',
      messages,
      maxTokens: optionalMaxTokens(fields.max_tokens, 'max_tokens'),
      stream: fields.stream === true || body.stream === true,
      includeUsage: true,
    };
  },
  json(reply) {
    return {
      result: { response: reply.text, finish_reason: reply.finishReason, usage: openAiUsage(reply.usage) },
      success: true,
      errors: [],
      messages: [],
    };
  },
  frames(reply) {
    const frames: Frame[] = reply.chunks.map((text) => ({ text: sseData({ response: text, p: 'abcdef' }), delta: true }));
    frames.push({ text: sseData({ response: '', finish_reason: reply.finishReason, usage: openAiUsage(reply.usage) }) });
    frames.push({ text: sseData('[DONE]') });
    return frames;
  },
  errorFrame: () => ({ text: sseData({ errors: [{ code: 3043, message: 'Internal server error' }] }) }),
};
