// POST /ai/v1/chat/completions: OpenAI Chat Completions wire.
import type { UpstreamEvent, Usage } from '../../call-vocabulary.ts';
import {
  arr,
  type Json,
  normalizeFinishReason,
  type ParsedResult,
  readFrame,
  rec,
  requireObject,
  samplingFields,
  str,
  type StreamMapper,
  usageFromOpenAi,
  withSystemMessage,
  type WireFormat,
} from './shared.ts';

/** The facts one chat.completion.chunk carries (also used for Workers AI OpenAI-style chunks). */
export function chatChunkFacts(frame: Json): { text?: string; finishReason?: string; usage?: Usage; model?: string } {
  const choice = rec(arr(frame.choices)[0]);
  const delta = rec(choice.delta);
  return {
    text: str(delta.content) || undefined,
    finishReason: normalizeFinishReason(choice.finish_reason),
    usage: frame.usage ? usageFromOpenAi(frame.usage) : undefined,
    model: str(frame.model),
  };
}

/** A chat.completion object (or a Workers AI result in that shape). */
export function parseChatCompletion(body: Json): ParsedResult {
  const choices = arr(body.choices);
  const choice = rec(choices[0]);
  const message = rec(choice.message);
  return {
    text: str(message.content) ?? '',
    finishReason: normalizeFinishReason(choice.finish_reason),
    servedModel: str(body.model),
    usage: usageFromOpenAi(body.usage),
  };
}

/** Stream state shared by the OpenAI-style chunk streams: usage and finish reason wait for [DONE]. */
export class ChunkStreamState {
  usage?: Usage;
  finishReason?: string;
  servedModel?: string;

  apply(facts: { text?: string; finishReason?: string; usage?: Usage; model?: string }): UpstreamEvent[] {
    if (facts.model) this.servedModel = facts.model;
    if (facts.finishReason) this.finishReason = facts.finishReason;
    if (facts.usage) this.usage = facts.usage;
    return facts.text ? [{ type: 'delta', text: facts.text }] : [];
  }

  finish(): UpstreamEvent[] {
    const out: UpstreamEvent[] = [];
    if (this.usage) out.push({ type: 'usage', usage: this.usage });
    out.push({ type: 'done', finishReason: this.finishReason ?? 'stop', servedModel: this.servedModel });
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
      messages: withSystemMessage(req),
      ...samplingFields(req, 'max_tokens'),
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
        return state.apply(chatChunkFacts(read.frame));
      },
    };
  },
};
