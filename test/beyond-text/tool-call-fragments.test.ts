// An argument fragment is never lost or reordered: a tool call's JSON arguments (any Unicode
// string, astral characters included) cut into fragments at any UTF-16 index (also between the
// halves of a surrogate pair, which JSON carries as escapes), and the SSE bytes split into network
// chunks at every byte boundary (also inside a multi-byte UTF-8 character), go through the real
// SSE parser, wire-format mapper and output accumulator and reassemble exactly.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { UpstreamEvent, UpstreamRequest } from '../../src/upstream/call-vocabulary.ts';
import { OutputAccumulator } from '../../src/domain/generation/output-accumulator.ts';
import { WIRE_FORMATS } from '../../src/upstream/formats/index.ts';
import { SseParser } from '../../src/upstream/sse.ts';

const REQUEST: UpstreamRequest = { model: 'm', messages: [{ role: 'user', content: 'x' }], gatewayId: 'default', eventId: 'e' };

/** The wire of one streamed tool call whose arguments arrive as `fragments`, per format. */
const STREAMS = {
  CHAT_COMPLETIONS: (fragments: string[]) =>
    [
      { choices: [{ index: 0, delta: { tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'f', arguments: '' } }] } }] },
      ...fragments.map((f) => ({ choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: f } }] } }] })),
      { choices: [{ index: 0, delta: {}, finish_reason: 'tool_calls' }] },
    ]
      .map((frame) => `data: ${JSON.stringify(frame)}\n\n`)
      .join('') + 'data: [DONE]\n\n',
  MESSAGES: (fragments: string[]) =>
    [
      { type: 'message_start', message: { model: 'm', usage: { input_tokens: 1, output_tokens: 1 } } },
      { type: 'content_block_start', index: 0, content_block: { type: 'tool_use', id: 'toolu_1', name: 'f', input: {} } },
      ...fragments.map((partial_json) => ({ type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json } })),
      { type: 'content_block_stop', index: 0 },
      { type: 'message_delta', delta: { stop_reason: 'tool_use' }, usage: { output_tokens: 5 } },
      { type: 'message_stop' },
    ]
      .map((frame) => `event: ${frame.type}\ndata: ${JSON.stringify(frame)}\n\n`)
      .join(''),
  RESPONSES: (fragments: string[]) =>
    [
      { type: 'response.output_item.added', output_index: 0, item: { type: 'function_call', id: 'fc_1', call_id: 'call_1', name: 'f', arguments: '' } },
      ...fragments.map((delta) => ({ type: 'response.function_call_arguments.delta', item_id: 'fc_1', output_index: 0, delta })),
      { type: 'response.completed', response: { status: 'completed', output: [], usage: { input_tokens: 1, output_tokens: 1 } } },
    ]
      .map((frame, i) => `event: ${frame.type}\ndata: ${JSON.stringify({ ...frame, sequence_number: i })}\n\n`)
      .join(''),
} as const;

function reassemble(api: keyof typeof STREAMS, chunks: Uint8Array[]): string {
  const parser = new SseParser();
  const mapper = WIRE_FORMATS[api].createEventMapper([], REQUEST);
  const acc = new OutputAccumulator();
  let done = false;
  const feed = (events: ReturnType<SseParser['push']>) => {
    for (const event of events) {
      for (const e of mapper.push(event) as UpstreamEvent[]) {
        if (e.type === 'toolCallDelta' || e.type === 'delta' || e.type === 'reasoningDelta') acc.apply(e);
        if (e.type === 'error') throw e.error;
        if (e.type === 'done') done = e.finishReason === 'tool_calls';
      }
    }
  };
  for (const chunk of chunks) feed(parser.push(chunk));
  feed(parser.end());
  const calls = acc.toolCalls();
  if (!done || calls.length !== 1 || calls[0]!.name !== 'f') throw new Error(`bad stream end: ${JSON.stringify({ done, calls })}`);
  return calls[0]!.arguments;
}

/** JSON argument text holding an arbitrary Unicode string (astral characters, escapes, quotes). */
const argumentsText = fc.string({ unit: 'grapheme', maxLength: 6 }).map((s) => JSON.stringify({ q: s }));

describe.each(Object.keys(STREAMS) as Array<keyof typeof STREAMS>)('%s tool-call argument fragments (property)', (api) => {
  it('fragments cut at any UTF-16 index, the stream split at every byte boundary: reassemble exactly', () => {
    fc.assert(
      fc.property(argumentsText, fc.array(fc.nat(), { maxLength: 3 }), (args, rawCuts) => {
        const cuts = [...new Set(rawCuts.map((c) => c % (args.length + 1)))].sort((a, b) => a - b);
        const fragments = [0, ...cuts].map((from, i, all) => args.slice(from, all[i + 1] ?? args.length));
        const bytes = new TextEncoder().encode(STREAMS[api](fragments));
        for (let at = 0; at <= bytes.length; at++) {
          const got = reassemble(api, [bytes.subarray(0, at), bytes.subarray(at)]);
          if (got !== args) throw new Error(`split at byte ${at}: ${JSON.stringify(got)} !== ${JSON.stringify(args)}`);
        }
      }),
      { numRuns: 25 },
    );
  });

  it('one fragment per UTF-16 unit, one network chunk per byte: reassemble exactly', () => {
    fc.assert(
      fc.property(argumentsText, (args) => {
        const bytes = new TextEncoder().encode(STREAMS[api](args.split('')));
        expect(reassemble(api, Array.from(bytes, (b) => Uint8Array.of(b)))).toBe(args);
      }),
      { numRuns: 60 },
    );
  });
});
