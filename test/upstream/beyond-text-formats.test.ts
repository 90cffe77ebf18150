// Wire details beyond plain text, format by format: normalized + raw finish reasons, Anthropic
// thinking tokens (output_tokens_details.thinking_tokens, else 0), JSON through a forced tool
// on Messages, tool_result merging, request shapes of tools / tool choice / response format.
import { describe, expect, it } from 'vitest';
import type { UpstreamRequest } from '../../src/upstream/call-vocabulary.ts';
import { WIRE_FORMATS } from '../../src/upstream/formats/index.ts';
import { normalizeFinishReason } from '../../src/upstream/formats/shared.ts';

const req = (over: Partial<UpstreamRequest> = {}): UpstreamRequest => ({ model: 'm', messages: [{ role: 'user', content: 'hi' }], gatewayId: 'default', eventId: 'e', ...over });

describe('finish reasons', () => {
  it.each([
    ['stop', 'stop'], ['end_turn', 'stop'], ['stop_sequence', 'stop'], ['completed', 'stop'],
    ['length', 'length'], ['max_tokens', 'length'], ['max_output_tokens', 'length'],
    ['tool_calls', 'tool_calls'], ['tool_use', 'tool_calls'], ['function_call', 'tool_calls'],
    ['content_filter', 'content_filter'], ['refusal', 'content_filter'],
    ['something_new', undefined],
  ])('%s -> %s', (raw, normalized) => expect(normalizeFinishReason(raw)).toBe(normalized));

  it('keeps the raw reason beside the normalized one', () => {
    const cc = WIRE_FORMATS.CHAT_COMPLETIONS.parseResult({ choices: [{ message: { content: '' }, finish_reason: 'content_filter' }], usage: {} }, req());
    expect(cc).toMatchObject({ finishReason: 'content_filter', rawFinishReason: 'content_filter' });
    const msg = WIRE_FORMATS.MESSAGES.parseResult({ content: [], stop_reason: 'refusal', usage: {} }, req());
    expect(msg).toMatchObject({ finishReason: 'content_filter', rawFinishReason: 'refusal' });
    const resp = WIRE_FORMATS.RESPONSES.parseResult({ status: 'incomplete', incomplete_details: { reason: 'content_filter' }, output: [], usage: {} }, req());
    expect(resp).toMatchObject({ finishReason: 'content_filter', rawFinishReason: 'content_filter' });
  });
});

describe('Messages', () => {
  it('reasoning tokens are output_tokens_details.thinking_tokens when present, else 0 (streamed and not)', () => {
    const body = (usage: object) => ({ content: [{ type: 'thinking', thinking: 'hmm', signature: 's' }, { type: 'text', text: 'ok' }], stop_reason: 'end_turn', usage });
    const withDetails = WIRE_FORMATS.MESSAGES.parseResult(body({ input_tokens: 3, output_tokens: 40, output_tokens_details: { thinking_tokens: 25 } }), req());
    expect(withDetails.usage).toMatchObject({ outputTokens: 40, reasoningTokens: 25 });
    expect(withDetails.reasoningText).toBe('hmm');
    expect(WIRE_FORMATS.MESSAGES.parseResult(body({ input_tokens: 3, output_tokens: 40 }), req()).usage.reasoningTokens).toBe(0);

    const mapper = WIRE_FORMATS.MESSAGES.createEventMapper([], req());
    const frame = (data: object) => mapper.push({ data: JSON.stringify(data) });
    // Usage is final at message_delta (the closing usage event), never at message_start.
    expect(frame({ type: 'message_start', message: { model: 'm', usage: { input_tokens: 3, output_tokens: 1 } } })).toEqual([]);
    const end = frame({ type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 40, output_tokens_details: { thinking_tokens: 25 } } });
    expect(end[0]).toMatchObject({ type: 'usage', usage: { inputTokens: 3, outputTokens: 40, reasoningTokens: 25 } });
    expect(frame({ type: 'message_stop' })).toMatchObject([{ type: 'done', finishReason: 'stop' }]);
  });

  it('JSON output goes through a forced tool and comes back as text with a plain stop', () => {
    const schema = { type: 'object', properties: { a: { type: 'string' } } };
    const r = req({ responseFormat: { type: 'JSON_SCHEMA', name: 'out', schema } });
    const body = WIRE_FORMATS.MESSAGES.toWireBody(r, false);
    expect(body).toMatchObject({ tools: [{ name: 'out', input_schema: schema }], tool_choice: { type: 'tool', name: 'out' } });
    const parsed = WIRE_FORMATS.MESSAGES.parseResult({ content: [{ type: 'tool_use', id: 't', name: 'out', input: { a: 'x' } }], stop_reason: 'tool_use', usage: {} }, r);
    expect(parsed).toMatchObject({ text: '{"a":"x"}', toolCalls: [], finishReason: 'stop', rawFinishReason: 'tool_use' });
  });

  it('consecutive tool results merge into one user turn; tool choice and thinking map', () => {
    const body = WIRE_FORMATS.MESSAGES.toWireBody(
      req({
        messages: [
          { role: 'user', content: 'q' },
          { role: 'assistant', content: 'calling', toolCalls: [{ id: 'a', name: 'f', arguments: '{"x":1}' }, { id: 'b', name: 'g', arguments: '{}' }] },
          { role: 'tool', content: 'ra', toolCallId: 'a' },
          { role: 'tool', content: 'rb', toolCallId: 'b' },
        ],
        tools: [{ name: 'f', parameters: { type: 'object' } }, { name: 'g', parameters: { type: 'object' } }],
        toolChoice: { mode: 'REQUIRED' },
        reasoningEffort: 'MEDIUM',
        stop: ['END'],
      }),
      false,
    );
    expect(body.messages).toEqual([
      { role: 'user', content: 'q' },
      { role: 'assistant', content: [{ type: 'text', text: 'calling' }, { type: 'tool_use', id: 'a', name: 'f', input: { x: 1 } }, { type: 'tool_use', id: 'b', name: 'g', input: {} }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'a', content: 'ra' }, { type: 'tool_result', tool_use_id: 'b', content: 'rb' }] },
    ]);
    expect(body).toMatchObject({ tool_choice: { type: 'any' }, thinking: { type: 'enabled', budget_tokens: 4096 }, max_tokens: 4096 + 4096, stop_sequences: ['END'] });
  });
});

describe('OpenAI shapes', () => {
  it('Chat Completions and /ai/run: tools, tool_choice, response_format, stop, top_p, reasoning_effort', () => {
    const r = req({
      tools: [{ name: 'f', description: 'd', parameters: { type: 'object' } }],
      toolChoice: { mode: 'TOOL', name: 'f' },
      responseFormat: { type: 'JSON_OBJECT' },
      stop: ['X'],
      topP: 0.5,
      reasoningEffort: 'HIGH',
    });
    const expected = {
      tools: [{ type: 'function', function: { name: 'f', description: 'd', parameters: { type: 'object' } } }],
      tool_choice: { type: 'function', function: { name: 'f' } },
      response_format: { type: 'json_object' },
      stop: ['X'],
      top_p: 0.5,
      reasoning_effort: 'high',
    };
    expect(WIRE_FORMATS.CHAT_COMPLETIONS.toWireBody(r, false)).toMatchObject(expected);
    expect(WIRE_FORMATS.RUN.toWireBody(r, false)).toMatchObject({ model: 'm', input: expected });
  });

  it('Responses: function tools, tool_choice, text.format, reasoning summaries', () => {
    const r = req({ tools: [{ name: 'f', parameters: { type: 'object' } }], toolChoice: { mode: 'NONE' }, responseFormat: { type: 'JSON_SCHEMA', schema: { type: 'object' } }, reasoningEffort: 'LOW' });
    expect(WIRE_FORMATS.RESPONSES.toWireBody(r, false)).toMatchObject({
      tools: [{ type: 'function', name: 'f', parameters: { type: 'object' } }],
      tool_choice: 'none',
      text: { format: { type: 'json_schema', name: 'output', schema: { type: 'object' } } },
      reasoning: { effort: 'low', summary: 'auto' },
    });
    const parsed = WIRE_FORMATS.RESPONSES.parseResult(
      {
        status: 'completed',
        output: [
          { type: 'reasoning', summary: [{ type: 'summary_text', text: 'because' }] },
          { type: 'function_call', call_id: 'c1', name: 'f', arguments: '{}' },
        ],
        usage: { input_tokens: 5, output_tokens: 9, output_tokens_details: { reasoning_tokens: 4 } },
      },
      r,
    );
    expect(parsed).toMatchObject({ reasoningText: 'because', toolCalls: [{ id: 'c1', name: 'f', arguments: '{}' }], finishReason: 'tool_calls', rawFinishReason: 'completed', usage: { reasoningTokens: 4 } });
  });

  it('Workers AI results with top-level tool_calls (arguments as an object) on /ai/run', () => {
    const parsed = WIRE_FORMATS.RUN.parseResult({ result: { response: null, tool_calls: [{ name: 'f', arguments: { x: 1 } }], usage: {} }, success: true, errors: [] }, req());
    expect(parsed).toMatchObject({ text: '', toolCalls: [{ id: 'call_0', name: 'f', arguments: '{"x":1}' }], finishReason: 'tool_calls' });
  });
});

describe('/ai/run streams', () => {
  it('Workers AI top-level tool_calls without an index are numbered in arrival order', () => {
    const mapper = WIRE_FORMATS.RUN.createEventMapper([], req());
    const frame = (data: object) => mapper.push({ data: JSON.stringify(data) });
    const first = frame({ response: '', tool_calls: [{ name: 'f', arguments: { a: 1 } }] });
    const second = frame({ response: '', tool_calls: [{ name: 'g', arguments: { b: 2 } }] });
    expect([...first, ...second]).toEqual([
      { type: 'toolCallDelta', index: 0, id: 'call_0', name: 'f', argumentsDelta: '{"a":1}' },
      { type: 'toolCallDelta', index: 1, id: 'call_1', name: 'g', argumentsDelta: '{"b":2}' },
    ]);
  });
});
