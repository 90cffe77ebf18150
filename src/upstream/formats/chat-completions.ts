// POST /ai/v1/chat/completions: OpenAI Chat Completions wire.
import type { FinishReason, ToolCall, UpstreamEvent, Usage } from '../call-vocabulary.ts';
import { openAiChatMessages, openAiChatOptions } from './openai-chat-body.ts';
import {
  argumentsText,
  arr,
  finishReasons,
  type Json,
  type ParsedResult,
  readFrame,
  rec,
  requireObject,
  samplingFields,
  str,
  type StreamMapper,
  usageFromOpenAi,
  type WireFormat,
} from './shared.ts';

/** What one chat.completion.chunk carries (also used for Workers AI OpenAI-style chunks). */
export interface ChunkFacts {
  text?: string;
  reasoning?: string;
  toolCalls?: Array<{ index: number; id?: string; name?: string; argumentsDelta: string }>;
  finish?: unknown;
  usage?: Usage;
  model?: string;
}

/** Reasoning text as non-OpenAI providers put it on a message or delta (reasoning_content or reasoning). */
const reasoningOf = (m: Json): string | undefined => str(m.reasoning_content) ?? str(m.reasoning);

export function chatChunkFacts(frame: Json): ChunkFacts {
  const choice = rec(arr(frame.choices)[0]);
  const delta = rec(choice.delta);
  const toolCalls = arr(delta.tool_calls).map(rec).map((c, i) => {
    const fn = rec(c.function);
    return {
      index: typeof c.index === 'number' ? c.index : i,
      ...(str(c.id) && { id: str(c.id) }),
      ...(str(fn.name) && { name: str(fn.name) }),
      argumentsDelta: typeof fn.arguments === 'string' ? fn.arguments : fn.arguments === undefined ? '' : argumentsText(fn.arguments),
    };
  });
  return {
    text: str(delta.content) || undefined,
    reasoning: reasoningOf(delta) || undefined,
    toolCalls,
    finish: choice.finish_reason,
    usage: frame.usage ? usageFromOpenAi(frame.usage) : undefined,
    model: str(frame.model),
  };
}

/** Tool calls of a message: OpenAI {id, function: {name, arguments}} or Workers AI {id?, name, arguments: object}. */
export function toolCallsOf(raw: unknown): ToolCall[] {
  return arr(raw)
    .map(rec)
    .map((c, i) => {
      const fn = isFunctionShape(c) ? rec(c.function) : c;
      return { id: str(c.id) ?? `call_${i}`, name: str(fn.name) ?? '', arguments: argumentsText(fn.arguments) };
    });
}
const isFunctionShape = (c: Json): boolean => typeof c.function === 'object' && c.function !== null;

/** A chat.completion object (or a Workers AI result in that shape). */
export function parseChatCompletion(body: Json): ParsedResult {
  const choice = rec(arr(body.choices)[0]);
  const message = rec(choice.message);
  const reasoningText = reasoningOf(message);
  return {
    text: str(message.content) ?? '',
    ...finishReasons(choice.finish_reason),
    toolCalls: toolCallsOf(message.tool_calls),
    ...(reasoningText && { reasoningText }),
    servedModel: str(body.model),
    usage: usageFromOpenAi(body.usage),
  };
}

/** Stream state shared by the OpenAI-style chunk streams: usage and finish reason wait for [DONE]. */
export class ChunkStreamState {
  usage?: Usage;
  finishReason?: FinishReason;
  rawFinishReason?: string;
  servedModel?: string;

  apply(facts: ChunkFacts): UpstreamEvent[] {
    if (facts.model) this.servedModel = facts.model;
    const finish = finishReasons(facts.finish);
    if (finish.rawFinishReason) Object.assign(this, finish);
    if (facts.usage) this.usage = facts.usage;
    const out: UpstreamEvent[] = [];
    if (facts.reasoning) out.push({ type: 'reasoningDelta', text: facts.reasoning });
    if (facts.text) out.push({ type: 'delta', text: facts.text });
    for (const call of facts.toolCalls ?? []) out.push({ type: 'toolCallDelta', ...call });
    return out;
  }

  finish(): UpstreamEvent[] {
    const out: UpstreamEvent[] = [];
    if (this.usage) out.push({ type: 'usage', usage: this.usage });
    out.push({
      type: 'done',
      finishReason: this.rawFinishReason ? this.finishReason : 'stop',
      ...(this.rawFinishReason && { rawFinishReason: this.rawFinishReason }),
      servedModel: this.servedModel,
    });
    return out;
  }
}

const isChunkError = (frame: Json): boolean => frame.error !== undefined && frame.error !== null;

export const chatCompletions: WireFormat = {
  api: 'CHAT_COMPLETIONS',
  path: () => '/ai/v1/chat/completions',
  toWireBody(req, stream) {
    return {
      model: req.model,
      messages: openAiChatMessages(req),
      ...samplingFields(req, 'max_tokens'),
      ...openAiChatOptions(req),
      ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
    };
  },
  parseResult: (body) => parseChatCompletion(requireObject(body, 'chat completion')),
  createEventMapper(secrets): StreamMapper {
    const state = new ChunkStreamState();
    return {
      push(event) {
        const read = readFrame(event, secrets, isChunkError);
        if ('done' in read) return state.finish();
        if ('error' in read) return [read.error];
        const facts = chatChunkFacts(read.frame);
        const out = state.apply(facts);
        // The usage chunk (stream_options.include_usage: no choices, after the last content) is
        // final at once; [DONE] repeats it. Usage riding on content chunks waits for [DONE].
        if (facts.usage && Array.isArray(read.frame.choices) && read.frame.choices.length === 0) out.push({ type: 'usage', usage: facts.usage });
        return out;
      },
    };
  },
};
