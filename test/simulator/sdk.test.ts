// The proof that the simulator is faithful: the official SDKs parse it, streaming helpers and usage included.
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
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
