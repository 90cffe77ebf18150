// POST /v1/responses: OpenAI Responses, served by /ai/v1/responses. Read at the door: model,
// instructions, input (messages, images, function calls and their outputs), max_output_tokens,
// stream. Every other field goes upstream as it is, and so do instructions and input. Usage comes
// in the terminal response.completed event, which every client gets as sent.
import type { Generation } from '../domain/generation/generation-view.ts';
import { badInput } from '../platform/errors.ts';
import { openAiErrorFrame } from './openai-chat.ts';
import type { CompatRoute, Json } from './route.ts';
import { capAsSent, contentOf, isRecord, optionalInt, passthrough, serveGeneration, streamFlag, type SdkFormat } from './sdk-generation.ts';

/** Responses parts: input_text / output_text, and input_image (its image_url). */
const partsOf = (content: unknown, field: string) =>
  contentOf(content, field, (type) => type === 'input_text' || type === 'output_text' || type === 'text', (part) => (part.type === 'input_image' ? part.image_url : undefined));

/** The input items as GenerateInput messages: function calls join an assistant turn, their outputs become tool turns. */
function messagesOf(input: unknown): Json[] {
  if (typeof input === 'string') return [{ role: 'user', content: input }];
  if (!Array.isArray(input)) throw badInput('input', 'input must be a string or an array of items');
  const out: Json[] = [];
  const calls = new Set<string>();
  input.forEach((item: unknown, i) => {
    const field = `input.${i}`;
    if (!isRecord(item)) throw badInput(field, 'an input item must be an object');
    if (item.type === 'function_call') {
      if (typeof item.call_id === 'string') calls.add(item.call_id);
      const call = { id: item.call_id, name: item.name, arguments: item.arguments };
      const last = out.at(-1);
      if (last?.role === 'assistant' && Array.isArray(last.toolCalls)) last.toolCalls.push(call);
      else out.push({ role: 'assistant', content: '', toolCalls: [call] });
    } else if (item.type === 'function_call_output') {
      const output = typeof item.output === 'string' ? item.output : JSON.stringify(item.output ?? '');
      // An output answering a call of an earlier response (previous_response_id) reads as user input.
      out.push(typeof item.call_id === 'string' && calls.has(item.call_id) ? { role: 'tool', content: output, toolCallId: item.call_id } : { role: 'user', content: output });
    } else if (item.type === undefined || item.type === 'message') {
      const role = item.role === 'developer' ? 'system' : item.role;
      if (role !== 'system' && role !== 'user' && role !== 'assistant') throw badInput(`${field}.role`, 'role must be system, developer, user or assistant');
      const { text, images } = partsOf(item.content, `${field}.content`);
      out.push({ role, content: text, ...(images.length > 0 && { images }) });
    }
    // Other items (reasoning, built-in tool calls) go upstream as they are.
  });
  return out;
}

export const responsesFormat: SdkFormat = {
  api: 'RESPONSES',
  parse(body) {
    if (body.instructions !== undefined && body.instructions !== null && typeof body.instructions !== 'string') throw badInput('instructions', 'instructions must be a string');
    const maxTokens = optionalInt(body, 'max_output_tokens');
    return {
      input: {
        model: body.model,
        messages: messagesOf(body.input),
        ...(typeof body.instructions === 'string' && body.instructions !== '' && { system: body.instructions }),
        ...(maxTokens !== undefined && { maxTokens }),
      },
      extraBody: passthrough(body, { instructions: body.instructions, input: body.input, ...capAsSent(body, 'max_output_tokens') }),
      stream: streamFlag(body),
    };
  },
  replyOf(g: Generation) {
    const u = g.usage;
    const id = g.id.replace(/-/g, '');
    return {
      id: `resp_${id}`,
      object: 'response',
      created_at: Math.floor(Date.now() / 1000),
      status: 'completed',
      model: g.servedModel ?? g.model,
      output: [
        ...(g.text !== '' ? [{ type: 'message', id: `msg_${id}`, status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: g.text, annotations: [] }] }] : []),
        ...g.toolCalls.map((c, i) => ({ type: 'function_call', id: `fc_${id}_${i}`, call_id: c.id, name: c.name, arguments: c.arguments, status: 'completed' })),
      ],
      usage: {
        input_tokens: u.inputTokens + u.cachedInputTokens + u.cacheWriteTokens,
        input_tokens_details: { cached_tokens: u.cachedInputTokens },
        output_tokens: u.outputTokens,
        output_tokens_details: { reasoning_tokens: u.reasoningTokens },
        total_tokens: u.totalTokens,
      },
    };
  },
};

export const responsesRoute: CompatRoute = {
  method: 'POST',
  path: '/v1/responses',
  surface: 'OPENAI',
  envelope: 'openai',
  operation: 'openai.responses',
  serve: (call) => serveGeneration(call, responsesFormat),
  errorFrame: openAiErrorFrame,
};
