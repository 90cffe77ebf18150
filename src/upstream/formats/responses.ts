// POST /ai/v1/responses: OpenAI Responses wire. Streams are `event:`/`data:` frames; usage
// arrives only in the terminal response.completed (or response.incomplete). Tool calls are
// function_call output items (and function_call / function_call_output input items), JSON
// output is text.format, reasoning comes as summaries of reasoning items.
import type { ChatMessage, ToolCall, UpstreamEvent, UpstreamRequest } from '../call-vocabulary.ts';
import {
  arr,
  finishReasons,
  imageUrl,
  type Json,
  type ParsedResult,
  readFrame,
  rec,
  requireObject,
  samplingFields,
  str,
  type StreamMapper,
  usageFromResponses,
  type WireFormat,
} from './shared.ts';

function inputItems(m: ChatMessage): Json[] {
  if (m.role === 'tool') return [{ type: 'function_call_output', call_id: m.toolCallId, output: m.content }];
  if (m.role === 'assistant') {
    return [
      ...(m.content !== '' || !m.toolCalls?.length ? [{ role: 'assistant', content: m.content }] : []),
      ...(m.toolCalls ?? []).map((c) => ({ type: 'function_call', call_id: c.id, name: c.name, arguments: c.arguments })),
    ];
  }
  if (m.images?.length) {
    return [
      {
        role: m.role,
        content: [
          ...(m.content !== '' ? [{ type: 'input_text', text: m.content }] : []),
          ...m.images.map((image) => ({ type: 'input_image', image_url: imageUrl(image) })),
        ],
      },
    ];
  }
  return [{ role: m.role, content: m.content }];
}

function options(req: UpstreamRequest): Json {
  const body: Json = {};
  if (req.tools?.length) {
    body.tools = req.tools.map((t) => ({ type: 'function', name: t.name, ...(t.description !== undefined && { description: t.description }), parameters: t.parameters, strict: false }));
  }
  if (req.toolChoice) body.tool_choice = req.toolChoice.mode === 'TOOL' ? { type: 'function', name: req.toolChoice.name } : req.toolChoice.mode.toLowerCase();
  const format = req.responseFormat;
  if (format?.type === 'JSON_OBJECT') body.text = { format: { type: 'json_object' } };
  if (format?.type === 'JSON_SCHEMA') {
    body.text = { format: { type: 'json_schema', name: format.name ?? 'output', schema: format.schema, ...(format.strict !== undefined && { strict: format.strict }) } };
  }
  if (req.reasoningEffort) body.reasoning = { effort: req.reasoningEffort.toLowerCase(), summary: 'auto' };
  return body;
}

const summaryText = (item: Json): string =>
  arr(item.summary)
    .map(rec)
    .map((part) => str(part.text) ?? '')
    .join('');

function parseResponse(body: Json): ParsedResult {
  const items = arr(body.output).map(rec);
  const text = items
    .filter((item) => item.type === 'message')
    .flatMap((item) => arr(item.content).map(rec))
    .filter((part) => part.type === 'output_text')
    .map((part) => str(part.text) ?? '')
    .join('');
  const toolCalls: ToolCall[] = items
    .filter((item) => item.type === 'function_call')
    .map((item) => ({ id: str(item.call_id) ?? str(item.id) ?? '', name: str(item.name) ?? '', arguments: str(item.arguments) ?? '' }));
  const reasoningText = items.filter((item) => item.type === 'reasoning').map(summaryText).join('');
  const incomplete = body.status === 'incomplete';
  const raw = incomplete ? (str(rec(body.incomplete_details).reason) ?? 'incomplete') : (str(body.status) ?? 'completed');
  const finish = finishReasons(raw);
  return {
    text,
    rawFinishReason: raw,
    finishReason: toolCalls.length > 0 && !incomplete ? 'tool_calls' : (finish.finishReason ?? (incomplete ? 'length' : 'stop')),
    toolCalls,
    ...(reasoningText && { reasoningText }),
    servedModel: str(body.model),
    usage: usageFromResponses(body.usage),
  };
}

const isResponsesError = (frame: Json, event: { event?: string }): boolean =>
  frame.type === 'error' || frame.type === 'response.failed' || event.event === 'error';

export const responses: WireFormat = {
  api: 'RESPONSES',
  path: () => '/ai/v1/responses',
  toWireBody(req, stream) {
    return {
      model: req.model,
      ...(req.system ? { instructions: req.system } : {}),
      input: req.messages.flatMap(inputItems),
      ...samplingFields(req, 'max_output_tokens'),
      ...options(req),
      ...(stream ? { stream: true } : {}),
    };
  },
  parseResult: (body) => parseResponse(requireObject(body, 'responses')),
  createEventMapper(secrets): StreamMapper {
    let servedModel: string | undefined;
    /** output_index of each function_call item -> its tool-call index. */
    const toolIndex = new Map<number, number>();
    return {
      push(event): UpstreamEvent[] {
        const read = readFrame(event, secrets, isResponsesError);
        if ('done' in read) return [];
        if ('error' in read) return [read.error];
        const frame = read.frame;
        switch (frame.type) {
          case 'response.created':
          case 'response.in_progress':
            servedModel = str(rec(frame.response).model) ?? servedModel;
            return [];
          case 'response.output_text.delta': {
            const text = str(frame.delta);
            return text ? [{ type: 'delta', text }] : [];
          }
          case 'response.reasoning_summary_text.delta':
          case 'response.reasoning_text.delta': {
            const text = str(frame.delta);
            return text ? [{ type: 'reasoningDelta', text }] : [];
          }
          case 'response.output_item.added': {
            const item = rec(frame.item);
            if (item.type !== 'function_call') return [];
            const index = toolIndex.size;
            toolIndex.set(Number(frame.output_index), index);
            return [{ type: 'toolCallDelta', index, id: str(item.call_id) ?? str(item.id) ?? '', name: str(item.name) ?? '', argumentsDelta: str(item.arguments) ?? '' }];
          }
          case 'response.function_call_arguments.delta': {
            const index = toolIndex.get(Number(frame.output_index));
            const delta = str(frame.delta);
            return index === undefined || delta === undefined ? [] : [{ type: 'toolCallDelta', index, argumentsDelta: delta }];
          }
          case 'response.completed':
          case 'response.incomplete': {
            const result = parseResponse(rec(frame.response));
            return [
              { type: 'usage', usage: result.usage },
              {
                type: 'done',
                finishReason: toolIndex.size > 0 && frame.type === 'response.completed' ? 'tool_calls' : result.finishReason,
                ...(result.rawFinishReason && { rawFinishReason: result.rawFinishReason }),
                servedModel: result.servedModel ?? servedModel,
              },
            ];
          }
          default:
            return [];
        }
      },
    };
  },
};
