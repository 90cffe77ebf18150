// The proof that the simulator is faithful: the official SDKs parse it, streaming helpers and usage included.
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { zodResponseFormat, zodTextFormat } from 'openai/helpers/zod';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simulateReply } from '../../src/simulator/reply.ts';
import { startSimulator, type Simulator } from '../../src/simulator/server.ts';

let sim: Simulator;
let openai: OpenAI;
let anthropic: Anthropic;
beforeAll(async () => {
  sim = await startSimulator({ token: 'sdk-token' });
  openai = new OpenAI({ baseURL: `${sim.baseUrl}/accounts/acc/ai/v1`, apiKey: 'sdk-token', maxRetries: 0 });
  anthropic = new Anthropic({ baseURL: `${sim.baseUrl}/accounts/acc/ai`, authToken: 'sdk-token', apiKey: null, maxRetries: 0 });
});
afterAll(() => sim.close());

const prompt = 'tell me something deterministic';
const messages = [{ role: 'user' as const, content: prompt }];

describe('openai SDK', () => {
  const model = 'openai/gpt-5.5';
  const expected = simulateReply({ model, messages });
  // "tell me something deterministic": 1 + 1 + 3 + 4 = 9 prompt tokens, floor(9/2) cached.
  const expectedChatUsage = {
    prompt_tokens: 9,
    completion_tokens: expected.usage.outputTokens,
    total_tokens: 9 + expected.usage.outputTokens,
    prompt_tokens_details: { cached_tokens: 4 },
    completion_tokens_details: { reasoning_tokens: 8 },
  };

  it('chat.completions.create', async () => {
    const completion = await openai.chat.completions.create({ model, messages });
    expect(completion.choices[0]!.message.content).toBe(expected.text);
    expect(completion.choices[0]!.finish_reason).toBe('stop');
    expect(completion.model).toBe('gpt-5.5');
    expect(completion.usage).toEqual(expectedChatUsage);
  });

  it('chat.completions.create stream with include_usage', async () => {
    const stream = await openai.chat.completions.create({ model, messages, stream: true, stream_options: { include_usage: true } });
    let text = '';
    let usage: unknown;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe(expected.text);
    expect(usage).toEqual(expectedChatUsage);
  });

  it('chat.completions.stream helper', async () => {
    const stream = openai.chat.completions.stream({ model, messages, stream_options: { include_usage: true } });
    const deltas: string[] = [];
    stream.on('content', (delta) => deltas.push(delta));
    const final = await stream.finalChatCompletion();
    expect(deltas.join('')).toBe(expected.text);
    expect(final.choices[0]!.message.content).toBe(expected.text);
    expect(final.usage).toEqual(expectedChatUsage);
  });

  it('responses.create', async () => {
    const response = await openai.responses.create({ model, input: prompt, instructions: 'be brief' });
    const withSystem = simulateReply({ model, messages, system: 'be brief' });
    expect(response.output_text).toBe(withSystem.text);
    expect(response.status).toBe('completed');
    expect(response.usage).toMatchObject({
      input_tokens: 12, // 9 + "be brief" (1 + 2)
      input_tokens_details: { cached_tokens: 6 },
      output_tokens: withSystem.usage.outputTokens,
      output_tokens_details: { reasoning_tokens: 8 },
      total_tokens: 12 + withSystem.usage.outputTokens,
    });
  });

  it('responses.create stream and responses.stream helper', async () => {
    const stream = await openai.responses.create({ model, input: prompt, stream: true });
    let text = '';
    let completed: OpenAI.Responses.Response | undefined;
    const seq: number[] = [];
    for await (const event of stream) {
      seq.push(event.sequence_number);
      if (event.type === 'response.output_text.delta') text += event.delta;
      if (event.type === 'response.completed') completed = event.response;
    }
    expect(text).toBe(expected.text);
    expect(seq).toEqual(seq.map((_, i) => i));
    expect(completed?.usage?.output_tokens).toBe(expected.usage.outputTokens);

    const helper = openai.responses.stream({ model, input: prompt });
    const deltas: string[] = [];
    helper.on('response.output_text.delta', (e) => deltas.push(e.delta));
    const final = await helper.finalResponse();
    expect(deltas.join('')).toBe(expected.text);
    expect(final.output_text).toBe(expected.text);
    expect(final.usage?.input_tokens_details.cached_tokens).toBe(4);
  });

  it('a mid-stream error frame makes the SDK throw', async () => {
    const stream = await openai.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi [[fault:error_frame]]' }], stream: true });
    await expect(async () => {
      for await (const _ of stream) void _;
    }).rejects.toThrow(/server had an error/);
  });

  it('gateway errors surface as APIError with the status', async () => {
    await expect(openai.chat.completions.create({ model, messages: [{ role: 'user', content: 'x [[fault:rate_limit]]' }] })).rejects.toMatchObject({
      status: 429,
    });
    const bad = new OpenAI({ baseURL: `${sim.baseUrl}/accounts/acc/ai/v1`, apiKey: 'wrong', maxRetries: 0 });
    await expect(bad.chat.completions.create({ model, messages })).rejects.toMatchObject({ status: 401 });
  });
});

describe('anthropic SDK', () => {
  const model = 'anthropic/claude-sonnet-4.5';
  const expected = simulateReply({ model, messages, system: 'be brief' });
  const expectedUsage = {
    input_tokens: expected.usage.inputTokens,
    cache_read_input_tokens: expected.usage.cachedInputTokens,
    cache_creation_input_tokens: expected.usage.cacheWriteTokens,
    output_tokens: expected.usage.outputTokens,
  };

  it('messages.create', async () => {
    const message = await anthropic.messages.create({ model, max_tokens: 100, system: 'be brief', messages });
    expect(message.content).toEqual([{ type: 'text', text: expected.text }]);
    expect(message.stop_reason).toBe('end_turn');
    expect(message.model).toBe('claude-sonnet-4-5');
    expect(message.usage).toMatchObject(expectedUsage);
    expect(expected.usage.cachedInputTokens).toBeGreaterThan(0);
    expect(expected.usage.cacheWriteTokens).toBeGreaterThan(0);
    expect(sim.requests.at(-1)!.path).toBe('/client/v4/accounts/acc/ai/v1/messages');
    expect(sim.requests.at(-1)!.headers.authorization).toBe('Bearer sdk-token');
  });

  it('messages.stream(...).finalMessage() and text events', async () => {
    const stream = anthropic.messages.stream({ model, max_tokens: 100, system: 'be brief', messages });
    const deltas: string[] = [];
    stream.on('text', (t) => deltas.push(t));
    const final = await stream.finalMessage();
    expect(deltas.join('')).toBe(expected.text);
    expect(final.content).toMatchObject([{ type: 'text', text: expected.text }]);
    expect(final.usage).toMatchObject(expectedUsage);
  });

  it('max_tokens truncation reports max_tokens', async () => {
    const message = await anthropic.messages.create({ model, max_tokens: 2, messages });
    expect(message.stop_reason).toBe('max_tokens');
    expect(message.content).toEqual([{ type: 'text', text: 'Echo: tell' }]);
  });

  it('a mid-stream error event makes the SDK throw; a provider error is an APIError', async () => {
    const stream = anthropic.messages.stream({ model, max_tokens: 100, messages: [{ role: 'user', content: 'hi [[fault:error_frame]]' }] });
    await expect(stream.finalMessage()).rejects.toThrow(/Overloaded/);
    await expect(
      anthropic.messages.create({ model, max_tokens: 100, messages: [{ role: 'user', content: 'x [[fault:provider_error]]' }] }),
    ).rejects.toMatchObject({ status: 400 });
  });
});

// Beyond plain text: the SDKs' streaming helpers for tool calls, structured output and reasoning.
describe('SDK helpers: tools, structured output, reasoning', () => {
  const weather = {
    name: 'get_weather',
    description: 'Current weather',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false },
  };
  const Record = z.object({ title: z.string(), n: z.number().int() });
  const toolPrompt = 'please call get_weather for Zürich 🌧';

  it('openai chat.completions.stream: tool-call argument events and the final tool call', async () => {
    const stream = openai.chat.completions.stream({
      model: 'openai/gpt-5.5',
      messages: [{ role: 'user', content: toolPrompt }],
      tools: [{ type: 'function', function: weather }],
      stream_options: { include_usage: true },
    });
    const fragments: string[] = [];
    let done: { name: string; arguments: string } | undefined;
    stream.on('tool_calls.function.arguments.delta', (e) => fragments.push(e.arguments_delta));
    stream.on('tool_calls.function.arguments.done', (e) => (done = { name: e.name, arguments: e.arguments }));
    const final = await stream.finalChatCompletion();
    const call = final.choices[0]!.message.tool_calls![0]!;
    expect(final.choices[0]!.finish_reason).toBe('tool_calls');
    expect(call.type === 'function' && call.function.name).toBe('get_weather');
    expect(call.type === 'function' && JSON.parse(call.function.arguments)).toEqual({ city: toolPrompt });
    expect(fragments.length).toBeGreaterThan(2);
    expect(fragments.join('')).toBe(done!.arguments);
    expect(done!.name).toBe('get_weather');
  });

  it('openai chat.completions.stream with a json_schema response_format: parsed content', async () => {
    const stream = openai.chat.completions.stream({
      model: 'openai/gpt-5.5',
      messages: [{ role: 'user', content: 'make a record' }],
      response_format: zodResponseFormat(Record, 'record'),
    });
    const deltas: string[] = [];
    stream.on('content.delta', (e) => deltas.push(e.delta));
    const final = await stream.finalChatCompletion();
    expect(deltas.length).toBeGreaterThan(1);
    expect(JSON.parse(deltas.join(''))).toEqual({ title: 'make a record', n: 3 });
    expect(final.choices[0]!.message.parsed).toEqual({ title: 'make a record', n: 3 });
  });

  it('openai responses.stream: function_call argument events, structured output and a reasoning summary', async () => {
    const tools = openai.responses.stream({ model: 'openai/gpt-5.5', input: toolPrompt, tools: [{ type: 'function', strict: true, ...weather }] });
    const fragments: string[] = [];
    tools.on('response.function_call_arguments.delta', (e) => fragments.push(e.delta));
    const withCall = await tools.finalResponse();
    const call = withCall.output.find((item) => item.type === 'function_call');
    expect(call).toMatchObject({ type: 'function_call', name: 'get_weather' });
    expect(call?.type === 'function_call' && JSON.parse(call.arguments)).toEqual({ city: toolPrompt });
    expect(fragments.join('')).toBe(call?.type === 'function_call' ? call.arguments : '');

    const json = openai.responses.stream({ model: 'openai/gpt-5.5', input: 'make a record', text: { format: zodTextFormat(Record, 'record') } });
    const parsed = await json.finalResponse();
    expect(parsed.output_parsed).toEqual({ title: 'make a record', n: 3 });

    const thinking = openai.responses.stream({ model: 'openai/gpt-5.5', input: 'weigh it', reasoning: { effort: 'high', summary: 'auto' } });
    const summary: string[] = [];
    thinking.on('response.reasoning_summary_text.delta', (e) => summary.push(e.delta));
    const reasoned = await thinking.finalResponse();
    expect(summary.join('')).toBe('Reasoning (high): weigh it');
    expect(reasoned.output[0]).toMatchObject({ type: 'reasoning', summary: [{ type: 'summary_text', text: 'Reasoning (high): weigh it' }] });
    expect(reasoned.usage?.output_tokens_details.reasoning_tokens).toBe(8 + 4);
  });

  it('anthropic messages.stream: inputJson events, the final tool_use block, thinking', async () => {
    const stream = anthropic.messages.stream({
      model: 'anthropic/claude-sonnet-4-5',
      max_tokens: 200,
      messages: [{ role: 'user', content: toolPrompt }],
      tools: [{ name: weather.name, description: weather.description, input_schema: weather.parameters as Anthropic.Tool.InputSchema }],
    });
    const partials: string[] = [];
    stream.on('inputJson', (partial) => partials.push(partial));
    const final = await stream.finalMessage();
    expect(final.stop_reason).toBe('tool_use');
    const use = final.content.find((b) => b.type === 'tool_use');
    expect(use).toMatchObject({ type: 'tool_use', name: 'get_weather', input: { city: toolPrompt } });
    expect(JSON.parse(partials.join(''))).toEqual({ city: toolPrompt });

    const thinking = anthropic.messages.stream({ model: 'anthropic/claude-sonnet-4-5', max_tokens: 5000, thinking: { type: 'enabled', budget_tokens: 2048 }, messages: [{ role: 'user', content: 'weigh it' }] });
    const thoughts: string[] = [];
    thinking.on('thinking', (delta) => thoughts.push(delta));
    const reasoned = await thinking.finalMessage();
    expect(thoughts.join('')).toBe('Reasoning (medium): weigh it');
    expect(reasoned.content[0]).toMatchObject({ type: 'thinking', thinking: 'Reasoning (medium): weigh it' });
    expect(reasoned.content[1]).toMatchObject({ type: 'text', text: 'Echo: weigh it' });
  });
});
