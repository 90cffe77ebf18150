// POST /ai/v1/responses: OpenAI Responses wire. Streams are `event:`/`data:` frames; usage
// arrives only in the terminal response.completed (or response.incomplete).
import type { UpstreamEvent } from '../../call-vocabulary.ts';
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
  usageFromResponses,
  type WireFormat,
} from './shared.ts';

function parseResponse(body: Json): ParsedResult {
  const text = arr(body.output)
    .map(rec)
    .filter((item) => item.type === 'message')
    .flatMap((item) => arr(item.content).map(rec))
    .filter((part) => part.type === 'output_text')
    .map((part) => str(part.text) ?? '')
    .join('');
  const incomplete = body.status === 'incomplete';
  return {
    text,
    finishReason: incomplete ? (normalizeFinishReason(rec(body.incomplete_details).reason) ?? 'length') : 'stop',
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
      input: req.messages.map((m) => ({ role: m.role, content: m.content })),
      ...samplingFields(req, 'max_output_tokens'),
      ...(stream ? { stream: true } : {}),
    };
  },
  parseResult: (body) => parseResponse(requireObject(body, 'responses')),
  createEventMapper(secrets): StreamMapper {
    let servedModel: string | undefined;
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
          case 'response.completed':
          case 'response.incomplete': {
            const result = parseResponse(rec(frame.response));
            return [
              { type: 'usage', usage: result.usage },
              { type: 'done', finishReason: result.finishReason, servedModel: result.servedModel ?? servedModel },
            ];
          }
          default:
            return [];
        }
      },
    };
  },
};
