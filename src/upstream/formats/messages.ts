// POST /ai/v1/messages: Anthropic Messages wire. Usage comes from message_start (input and cache
// fields) merged with the cumulative usage of message_delta, and is final only then: the usage
// event is emitted at message_delta (after the content), never at message_start, whose output
// figure is partial (a stream cut before message_delta is recorded as an estimate);
// message_stop is terminal. Tools are
// tool_use / tool_result blocks, images are image blocks, reasoning is thinking; JSON output goes
// through a forced tool whose input is the JSON (turned back into text here).
import type { ChatMessage, ReasoningEffort, ToolCall, UpstreamEvent, UpstreamRequest } from '../call-vocabulary.ts';
import {
  argumentsObject,
  argumentsText,
  arr,
  finishReasons,
  type Json,
  type ParsedResult,
  readFrame,
  rec,
  requireObject,
  str,
  type StreamMapper,
  usageFromAnthropic,
  type WireFormat,
} from './shared.ts';

/** Anthropic requires max_tokens; used when the request has none (plus the thinking budget). */
export const DEFAULT_ANTHROPIC_MAX_TOKENS = 4096;

/** thinking.budget_tokens per reasoning effort; max_tokens must be above it. */
export const THINKING_BUDGET: Readonly<Record<ReasoningEffort, number>> = { LOW: 1024, MEDIUM: 4096, HIGH: 16384 };

/** The forced tool that carries JSON output (responseFormat) on this wire, when one is asked. */
export function jsonToolName(req: UpstreamRequest): string | undefined {
  const format = req.responseFormat;
  if (format?.type === 'JSON_SCHEMA') return format.name ?? 'json_output';
  if (format?.type === 'JSON_OBJECT') return 'json_output';
  return undefined;
}

function blocks(m: ChatMessage): Json[] {
  if (m.role === 'tool') return [{ type: 'tool_result', tool_use_id: m.toolCallId, content: m.content }];
  const out: Json[] = m.content !== '' ? [{ type: 'text', text: m.content }] : [];
  for (const image of m.images ?? []) {
    out.push({ type: 'image', source: 'url' in image ? { type: 'url', url: image.url } : { type: 'base64', media_type: image.mediaType, data: image.data } });
  }
  for (const call of m.toolCalls ?? []) out.push({ type: 'tool_use', id: call.id, name: call.name, input: argumentsObject(call.arguments) });
  return out;
}

/** Messages in Anthropic's shape: tool results ride in user turns; consecutive turns of one role merge. */
function wireMessages(req: UpstreamRequest): Json[] {
  const out: Array<{ role: 'user' | 'assistant'; content: Json[] }> = [];
  for (const m of req.messages) {
    if (m.role === 'system') continue;
    const role = m.role === 'assistant' ? 'assistant' : 'user';
    const last = out.at(-1);
    if (last && last.role === role) last.content.push(...blocks(m));
    else out.push({ role, content: blocks(m) });
  }
  return out.map((m) => (m.content.length === 1 && m.content[0]!.type === 'text' ? { role: m.role, content: m.content[0]!.text } : m));
}

function options(req: UpstreamRequest): Json {
  const body: Json = {};
  const jsonTool = jsonToolName(req);
  const tools: Json[] = (req.tools ?? []).map((t) => ({ name: t.name, ...(t.description !== undefined && { description: t.description }), input_schema: t.parameters }));
  if (jsonTool) {
    const schema = req.responseFormat?.type === 'JSON_SCHEMA' ? req.responseFormat.schema : { type: 'object' };
    tools.push({ name: jsonTool, description: 'Answer with the JSON output, as this tool input.', input_schema: schema });
  }
  if (tools.length) body.tools = tools;
  if (jsonTool) body.tool_choice = { type: 'tool', name: jsonTool };
  else if (req.toolChoice) {
    const mode = req.toolChoice.mode;
    body.tool_choice = req.toolChoice.mode === 'TOOL' ? { type: 'tool', name: req.toolChoice.name } : { type: mode === 'REQUIRED' ? 'any' : mode.toLowerCase() };
  }
  if (req.stop?.length) body.stop_sequences = req.stop;
  if (req.topP !== undefined) body.top_p = req.topP;
  if (req.reasoningEffort) body.thinking = { type: 'enabled', budget_tokens: THINKING_BUDGET[req.reasoningEffort] };
  return body;
}

/** tool_use stop on the JSON tool is a plain stop: the JSON is the answer. */
function finishOf(stopReason: unknown, toolCalls: number, json: boolean) {
  const finish = finishReasons(stopReason);
  return json && toolCalls === 0 && finish.finishReason === 'tool_calls' ? { ...finish, finishReason: 'stop' as const } : finish;
}

export function parseAnthropicMessage(body: Json, req: UpstreamRequest): ParsedResult {
  const jsonTool = jsonToolName(req);
  let text = '';
  let reasoningText = '';
  const toolCalls: ToolCall[] = [];
  for (const block of arr(body.content).map(rec)) {
    if (block.type === 'text') text += str(block.text) ?? '';
    else if (block.type === 'thinking') reasoningText += str(block.thinking) ?? '';
    else if (block.type === 'tool_use' && jsonTool !== undefined && block.name === jsonTool) text += argumentsText(block.input);
    else if (block.type === 'tool_use') toolCalls.push({ id: str(block.id) ?? '', name: str(block.name) ?? '', arguments: argumentsText(block.input) });
  }
  return {
    text,
    ...finishOf(body.stop_reason, toolCalls.length, jsonTool !== undefined),
    toolCalls,
    ...(reasoningText && { reasoningText }),
    servedModel: str(body.model),
    usage: usageFromAnthropic(body.usage),
  };
}

const isAnthropicError = (frame: Json, event: { event?: string }): boolean => frame.type === 'error' || event.event === 'error';

/** The Anthropic event state machine; `frame` is one parsed event. Shared with /ai/run for anthropic/* models. */
export class AnthropicStreamState {
  #usage: Json = {};
  #stopReason: unknown;
  #servedModel?: string;
  /** content block index -> tool-call index, or 'json' for the forced JSON tool. */
  #blocks = new Map<number, number | 'json'>();
  #toolCalls = 0;
  readonly #jsonTool: string | undefined;

  constructor(req: UpstreamRequest) {
    this.#jsonTool = jsonToolName(req);
  }

  apply(frame: Json): UpstreamEvent[] {
    switch (frame.type) {
      case 'message_start': {
        const message = rec(frame.message);
        this.#servedModel = str(message.model);
        // Kept for the merge; not final (its output_tokens counts the first token only).
        this.#merge(message.usage);
        return [];
      }
      case 'content_block_start': {
        const block = rec(frame.content_block);
        if (block.type !== 'tool_use') return [];
        const at = Number(frame.index);
        if (this.#jsonTool !== undefined && block.name === this.#jsonTool) {
          this.#blocks.set(at, 'json');
          return [];
        }
        const index = this.#toolCalls++;
        this.#blocks.set(at, index);
        return [{ type: 'toolCallDelta', index, id: str(block.id) ?? '', name: str(block.name) ?? '', argumentsDelta: '' }];
      }
      case 'content_block_delta': {
        const delta = rec(frame.delta);
        if (delta.type === 'text_delta') {
          const text = str(delta.text);
          return text ? [{ type: 'delta', text }] : [];
        }
        if (delta.type === 'thinking_delta') {
          const text = str(delta.thinking);
          return text ? [{ type: 'reasoningDelta', text }] : [];
        }
        if (delta.type === 'input_json_delta') {
          const target = this.#blocks.get(Number(frame.index));
          const fragment = str(delta.partial_json) ?? '';
          if (target === 'json') return fragment ? [{ type: 'delta', text: fragment }] : [];
          return target === undefined ? [] : [{ type: 'toolCallDelta', index: target, argumentsDelta: fragment }];
        }
        return [];
      }
      case 'message_delta': {
        this.#stopReason = rec(frame.delta).stop_reason ?? this.#stopReason;
        const usage = rec(frame.usage);
        if (typeof usage.output_tokens !== 'number') return [];
        this.#merge(usage);
        // The closing usage event: its cumulative figures are final.
        return [{ type: 'usage', usage: usageFromAnthropic(this.#usage) }];
      }
      case 'message_stop': {
        const finish = finishOf(this.#stopReason, this.#toolCalls, this.#jsonTool !== undefined);
        return [
          { type: 'done', finishReason: finish.finishReason ?? 'stop', ...(finish.rawFinishReason && { rawFinishReason: finish.rawFinishReason }), servedModel: this.#servedModel },
        ];
      }
      default:
        return []; // ping, content_block_stop, unknown future events
    }
  }

  /** message_delta usage is cumulative: its non-null fields replace message_start's. */
  #merge(raw: unknown): void {
    for (const [key, value] of Object.entries(rec(raw))) {
      if (typeof value === 'number' || (key === 'output_tokens_details' && typeof value === 'object' && value !== null)) this.#usage[key] = value;
    }
  }
}

export const messages: WireFormat = {
  api: 'MESSAGES',
  path: () => '/ai/v1/messages',
  toWireBody(req, stream) {
    const system = [req.system, ...req.messages.filter((m) => m.role === 'system').map((m) => m.content)]
      .filter((s): s is string => typeof s === 'string' && s !== '')
      .join('\n\n');
    const budget = req.reasoningEffort ? THINKING_BUDGET[req.reasoningEffort] : 0;
    return {
      model: req.model,
      max_tokens: req.maxTokens ?? DEFAULT_ANTHROPIC_MAX_TOKENS + budget,
      ...(system ? { system } : {}),
      messages: wireMessages(req),
      ...(req.temperature !== undefined ? { temperature: Math.min(req.temperature, 1) } : {}),
      ...options(req),
      ...(stream ? { stream: true } : {}),
    };
  },
  parseResult: (body, req) => parseAnthropicMessage(requireObject(body, 'messages'), req),
  createEventMapper(secrets, req): StreamMapper {
    const state = new AnthropicStreamState(req);
    return {
      push(event) {
        const read = readFrame(event, secrets, isAnthropicError);
        if ('done' in read) return [];
        if ('error' in read) return [read.error];
        return state.apply(read.frame);
      },
    };
  },
};
