// POST /ai/run (universal {model, input}) and the legacy POST /ai/run/@cf/{model}.
// Bodies may be a v4 envelope {result, success}, a {state, result} wrapper or bare; the result
// may be Workers AI {response, usage}, an OpenAI chat.completion or a native Anthropic message.
// Streams: Workers AI `data: {"response": ...}` frames (optionally OpenAI-style chunks, or
// Anthropic events for anthropic/* models) ending with `data: [DONE]`.
import { errorFromFrame } from '../errors.ts';
import type { UpstreamEvent } from '../call-vocabulary.ts';
import type { UpstreamRequest } from '../call-vocabulary.ts';
import { ChunkStreamState, chatChunkFacts, parseChatCompletion, toolCallsOf } from './chat-completions.ts';
import { AnthropicStreamState, parseAnthropicMessage } from './messages.ts';
import { openAiChatMessages, openAiChatOptions } from './openai-chat-body.ts';
import {
  finishReasons,
  isRecord,
  type Json,
  type ParsedResult,
  readFrame,
  requireObject,
  samplingFields,
  str,
  type StreamMapper,
  usageFromOpenAi,
  type WireFormat,
} from './shared.ts';

/** Unwraps the v4 envelope or the {state, result} wrapper; a failed envelope throws its error. */
function unwrap(body: Json): Json {
  if (body.success === false || body.state === 'Failed') throw errorFromFrame(body);
  if (isRecord(body.result) && (body.success === true || 'state' in body || 'errors' in body)) return body.result;
  return body;
}

function parseRunResult(body: Json, req: UpstreamRequest): ParsedResult {
  const result = unwrap(body);
  if (Array.isArray(result.content) && result.type === 'message') return parseAnthropicMessage(result, req);
  if (Array.isArray(result.choices)) return parseChatCompletion(result);
  const toolCalls = toolCallsOf(result.tool_calls);
  const finish = finishReasons(result.finish_reason);
  const reasoningText = str(result.reasoning_content) ?? str(result.reasoning);
  return {
    text: typeof result.response === 'string' ? result.response : result.response === undefined || result.response === null ? '' : JSON.stringify(result.response),
    ...finish,
    finishReason: finish.finishReason ?? (toolCalls.length > 0 ? 'tool_calls' : 'stop'),
    toolCalls,
    ...(reasoningText && { reasoningText }),
    servedModel: str(result.model),
    usage: usageFromOpenAi(result.usage),
  };
}

const isRunError = (frame: Json, event: { event?: string }): boolean =>
  (Array.isArray(frame.errors) && frame.errors.length > 0) ||
  (frame.error !== undefined && frame.error !== null) ||
  frame.type === 'error' ||
  event.event === 'error';

export const run: WireFormat = {
  api: 'RUN',
  path: (req) => (req.legacyRun ? `/ai/run/${req.model.split('/').map((s) => encodeURIComponent(s).replace(/%40/g, '@')).join('/')}` : '/ai/run'),
  toWireBody(req, stream) {
    const input = {
      messages: openAiChatMessages(req),
      ...samplingFields(req, 'max_tokens'),
      ...openAiChatOptions(req),
      ...(stream ? { stream: true } : {}),
    };
    return req.legacyRun ? input : { model: req.model, input };
  },
  parseResult: (body, req) => parseRunResult(requireObject(body, 'run'), req),
  createEventMapper(secrets, req): StreamMapper {
    const chunks = new ChunkStreamState();
    const anthropic = new AnthropicStreamState(req);
    let nextToolIndex = 0;
    const indexOf = (raw: unknown, i: number): number => {
      const given = Array.isArray(raw) && isRecord(raw[i]) ? raw[i].index : undefined;
      return typeof given === 'number' ? given : nextToolIndex++;
    };
    return {
      push(event): UpstreamEvent[] {
        const read = readFrame(event, secrets, isRunError);
        if ('done' in read) return chunks.finish();
        if ('error' in read) return [read.error];
        const frame = read.frame;
        if (typeof frame.type === 'string' && (frame.type.startsWith('message_') || frame.type.startsWith('content_block_') || frame.type === 'ping')) {
          return anthropic.apply(frame);
        }
        if (Array.isArray(frame.choices)) return chunks.apply(chatChunkFacts(frame));
        return chunks.apply({
          text: str(frame.response) || undefined,
          reasoning: str(frame.reasoning_content) || undefined,
          // Workers AI sends whole calls at the top level, usually without an index: number them in arrival order.
          toolCalls: toolCallsOf(frame.tool_calls).map((c, i) => {
            const index = indexOf(frame.tool_calls, i);
            const raw = (frame.tool_calls as unknown[])[i];
            return { index, id: isRecord(raw) && typeof raw.id === 'string' ? c.id : `call_${index}`, name: c.name, argumentsDelta: c.arguments };
          }),
          finish: frame.finish_reason,
          usage: frame.usage ? usageFromOpenAi(frame.usage) : undefined,
          model: str(frame.model),
        });
      },
    };
  },
};

