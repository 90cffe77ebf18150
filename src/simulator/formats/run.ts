// Simulated POST /ai/run ({model, input}) and legacy POST /ai/run/@cf/{model} (the model's own
// input, the OpenAI chat shape: tools, tool_choice, response_format, reasoning_effort): v4
// envelope {result: {response, tool_calls, reasoning_content, usage}} or `data: {"response": ...}`
// frames (tool calls and reasoning as OpenAI-style choices[0].delta chunks) + [DONE].
import { openAiDeltas, openAiToolCalls } from './chat-completions.ts';
import {
  BadSimRequest,
  type Frame,
  isRecord,
  openAiUsage,
  optionalMaxTokens,
  parseJsonFormat,
  parseMessages,
  parseToolChoice,
  parseTools,
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
      tools: parseTools(fields.tools),
      toolChoice: parseToolChoice(fields.tool_choice),
      json: parseJsonFormat(fields.response_format),
      ...(typeof fields.reasoning_effort === 'string' && { reasoning: fields.reasoning_effort }),
    };
  },
  json(reply) {
    return {
      result: {
        response: reply.text,
        ...(reply.toolCalls.length > 0 && { tool_calls: openAiToolCalls(reply) }),
        ...(reply.reasoningText && { reasoning_content: reply.reasoningText }),
        finish_reason: reply.finishReason,
        usage: openAiUsage(reply.usage),
      },
      success: true,
      errors: [],
      messages: [],
    };
  },
  frames(reply) {
    const frames: Frame[] = openAiDeltas(reply).map(({ delta, text }) =>
      text ? { text: sseData({ response: delta.content, p: 'abcdef' }), delta: true } : { text: sseData({ response: '', choices: [{ index: 0, delta }] }) },
    );
    frames.push({ text: sseData({ response: '', finish_reason: reply.finishReason, usage: openAiUsage(reply.usage) }) });
    frames.push({ text: sseData('[DONE]') });
    return frames;
  },
  errorFrame: () => ({ text: sseData({ errors: [{ code: 3043, message: 'Internal server error' }] }) }),
};
