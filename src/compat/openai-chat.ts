// POST /v1/chat/completions: OpenAI Chat Completions, served by /ai/v1/chat/completions.
// Read at the door: model, messages (roles, text, images, tool calls and results), max tokens,
// stream, stream_options. Every other field goes upstream as it is, and so do the messages.
// Streams always ask upstream for usage (stream_options.include_usage) so the ledger has it; a
// client that did not ask gets the stream as the upstream would have sent it without usage.
import type { Generation } from '../domain/generation/generation-view.ts';
import { badInput, type AppError } from '../platform/errors.ts';
import { errorBody } from './error-envelopes.ts';
import type { CompatRoute, Json } from './route.ts';
import { capAsSent, contentOf, isRecord, optionalInt, passthrough, serveGeneration, streamFlag, type SdkFormat } from './sdk-generation.ts';

/** Chat Completions parts: text, and image_url ({url} or a bare string). */
const partsOf = (content: unknown, field: string) =>
  contentOf(content, field, (type) => type === 'text', (part) => (part.type === 'image_url' ? (isRecord(part.image_url) ? part.image_url.url : part.image_url) : undefined));

function messageOf(m: unknown, i: number): Json {
  const field = `messages.${i}`;
  if (!isRecord(m)) throw badInput(field, 'a message must be an object');
  const role = m.role === 'developer' ? 'system' : m.role;
  const { text, images } = partsOf(m.content, `${field}.content`);
  if (role === 'system' || role === 'user') return { role, content: text, ...(images.length > 0 && { images }) };
  if (role === 'tool') return { role, content: text, toolCallId: m.tool_call_id };
  if (role === 'assistant') {
    const calls = Array.isArray(m.tool_calls) ? m.tool_calls : [];
    const toolCalls = calls.map((c: unknown) => {
      const fn = isRecord(c) && isRecord(c.function) ? c.function : {};
      return { id: isRecord(c) ? c.id : undefined, name: fn.name, arguments: fn.arguments };
    });
    return { role, content: text, ...(toolCalls.length > 0 && { toolCalls }) };
  }
  throw badInput(`${field}.role`, 'role must be system, developer, user, assistant or tool');
}

/** Whether a frame carries usage the client did not ask for: a usage chunk is dropped, a usage field removed. */
function withoutUsage(raw: string): string {
  if (!raw.includes('"usage"')) return raw;
  const data = raw
    .split(/\r\n|\r|\n/)
    .filter((line) => line.startsWith('data:'))
    .map((line) => line.slice(line.startsWith('data: ') ? 6 : 5))
    .join('\n');
  let chunk: unknown;
  try {
    chunk = JSON.parse(data);
  } catch {
    return raw;
  }
  if (!isRecord(chunk) || !('usage' in chunk)) return raw;
  if (Array.isArray(chunk.choices) && chunk.choices.length === 0) return '';
  const { usage: _usage, ...rest } = chunk;
  return `data: ${JSON.stringify(rest)}\n\n`;
}

export const chatCompletionsFormat: SdkFormat = {
  api: 'CHAT_COMPLETIONS',
  parse(body) {
    if (!Array.isArray(body.messages)) throw badInput('messages', 'messages must be an array');
    const stream = streamFlag(body);
    const maxTokens = optionalInt(body, 'max_completion_tokens') ?? optionalInt(body, 'max_tokens');
    const options = body.stream_options;
    if (options !== undefined && options !== null && !isRecord(options)) throw badInput('stream_options', 'stream_options must be an object');
    const includeUsage = isRecord(options) && options.include_usage === true;
    return {
      input: { model: body.model, messages: body.messages.map(messageOf), ...(maxTokens !== undefined && { maxTokens }) },
      // The original messages and cap go as sent (no cap: the reserved one); streams always ask for usage.
      extraBody: passthrough(body, {
        ...capAsSent(body, 'max_tokens', ['max_completion_tokens']),
        ...(stream && { stream_options: { ...(isRecord(options) ? options : {}), include_usage: true } }),
      }),
      stream,
      ...(stream && !includeUsage && { frame: withoutUsage }),
    };
  },
  replyOf(g: Generation) {
    const message = {
      role: 'assistant',
      content: g.toolCalls.length > 0 && g.text === '' ? null : g.text,
      refusal: null,
      ...(g.toolCalls.length > 0 && { tool_calls: g.toolCalls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.arguments } })) }),
    };
    const u = g.usage;
    return {
      id: `chatcmpl-${g.id.replace(/-/g, '')}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: g.servedModel ?? g.model,
      choices: [{ index: 0, message, logprobs: null, finish_reason: g.rawFinishReason ?? g.finishReason ?? 'stop' }],
      usage: {
        prompt_tokens: u.inputTokens + u.cachedInputTokens + u.cacheWriteTokens,
        completion_tokens: u.outputTokens,
        total_tokens: u.totalTokens,
        prompt_tokens_details: { cached_tokens: u.cachedInputTokens },
        completion_tokens_details: { reasoning_tokens: u.reasoningTokens },
      },
    };
  },
};

/** An error after the stream began: a data frame with the error envelope (the SDK raises it). */
export const openAiErrorFrame = (error: AppError): string => `data: ${JSON.stringify(errorBody('openai', error))}\n\n`;

export const chatCompletionsRoute: CompatRoute = {
  method: 'POST',
  path: '/v1/chat/completions',
  surface: 'OPENAI',
  envelope: 'openai',
  operation: 'openai.chat.completions',
  serve: (call) => serveGeneration(call, chatCompletionsFormat),
  errorFrame: openAiErrorFrame,
};
