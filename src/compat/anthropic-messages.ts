// POST /v1/messages: Anthropic Messages, served by /ai/v1/messages. Read at the door: model,
// system, messages (text, images, tool_use and tool_result blocks), max_tokens, stream. Every
// other field goes upstream as it is, and so do system and messages (cache_control and other
// block options included). Usage comes in message_start and message_delta, which every client
// gets as sent.
import type { Generation } from '../domain/generation/generation-view.ts';
import { badInput, type AppError } from '../platform/errors.ts';
import { errorBody } from './error-envelopes.ts';
import type { CompatRoute, Json } from './route.ts';
import { capAsSent, isRecord, optionalInt, passthrough, serveGeneration, streamFlag, type SdkFormat } from './sdk-generation.ts';

const blocksOf = (content: unknown, field: string): unknown[] => {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  if (!Array.isArray(content)) throw badInput(field, `${field} must be a string or an array of content blocks`);
  return content;
};

function textOf(content: unknown, field: string): string {
  if (content === undefined || content === null) return '';
  return blocksOf(content, field)
    .map((b) => (isRecord(b) && b.type === 'text' && typeof b.text === 'string' ? b.text : JSON.stringify(b)))
    .join('\n');
}

function imageOf(block: Json, field: string): Json {
  const source = isRecord(block.source) ? block.source : {};
  if (source.type === 'base64') return { data: source.data, mediaType: source.media_type };
  if (source.type === 'url') return { url: source.url };
  throw badInput(`${field}.source`, 'an image source must be {type: base64, media_type, data} or {type: url, url}');
}

/** One Anthropic turn as GenerateInput messages: tool results become tool turns ahead of the rest of a user turn. */
function messagesOf(m: unknown, i: number): Json[] {
  const field = `messages.${i}`;
  if (!isRecord(m)) throw badInput(field, 'a message must be an object');
  if (m.role !== 'user' && m.role !== 'assistant') throw badInput(`${field}.role`, 'role must be user or assistant');
  const texts: string[] = [];
  const images: Json[] = [];
  const toolCalls: Json[] = [];
  const results: Json[] = [];
  blocksOf(m.content, `${field}.content`).forEach((b, j) => {
    if (!isRecord(b)) throw badInput(`${field}.content.${j}`, 'a content block must be an object');
    if (b.type === 'text' && typeof b.text === 'string') texts.push(b.text);
    else if (b.type === 'image' && m.role === 'user') images.push(imageOf(b, `${field}.content.${j}`));
    else if (b.type === 'tool_use' && m.role === 'assistant') toolCalls.push({ id: b.id, name: b.name, arguments: JSON.stringify(b.input ?? {}) });
    else if (b.type === 'tool_result' && m.role === 'user') results.push({ role: 'tool', toolCallId: b.tool_use_id, content: textOf(b.content, `${field}.content.${j}.content`) });
    else texts.push(JSON.stringify(b));
  });
  const text = texts.join('\n');
  if (m.role === 'assistant') return [{ role: 'assistant', content: text, ...(toolCalls.length > 0 && { toolCalls }) }];
  return [...results, ...(text !== '' || images.length > 0 || results.length === 0 ? [{ role: 'user', content: text, ...(images.length > 0 && { images }) }] : [])];
}

/** Tool-call arguments (JSON text) as the object Anthropic's tool_use carries; unreadable text gives {}. */
function inputOf(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return {};
  }
}

export const messagesFormat: SdkFormat = {
  api: 'MESSAGES',
  parse(body) {
    if (!Array.isArray(body.messages)) throw badInput('messages', 'messages must be an array');
    const maxTokens = optionalInt(body, 'max_tokens');
    const system = textOf(body.system, 'system');
    return {
      input: {
        model: body.model,
        messages: body.messages.flatMap(messagesOf),
        ...(system !== '' && { system }),
        ...(maxTokens !== undefined && { maxTokens }),
      },
      extraBody: passthrough(body, { system: body.system, messages: body.messages, ...capAsSent(body, 'max_tokens') }),
      stream: streamFlag(body),
    };
  },
  replyOf(g: Generation) {
    const u = g.usage;
    const content = [
      ...(g.text !== '' ? [{ type: 'text', text: g.text }] : []),
      ...g.toolCalls.map((c) => ({ type: 'tool_use', id: c.id, name: c.name, input: inputOf(c.arguments) })),
    ];
    return {
      id: `msg_${g.id.replace(/-/g, '')}`,
      type: 'message',
      role: 'assistant',
      model: g.servedModel ?? g.model,
      content,
      stop_reason: g.rawFinishReason ?? (g.toolCalls.length > 0 ? 'tool_use' : 'end_turn'),
      stop_sequence: null,
      usage: { input_tokens: u.inputTokens, cache_creation_input_tokens: u.cacheWriteTokens, cache_read_input_tokens: u.cachedInputTokens, output_tokens: u.outputTokens },
    };
  },
};

export const messagesRoute: CompatRoute = {
  method: 'POST',
  path: '/v1/messages',
  surface: 'ANTHROPIC',
  envelope: 'anthropic',
  operation: 'anthropic.messages',
  serve: (call) => serveGeneration(call, messagesFormat),
  errorFrame: (error: AppError) => `event: error\ndata: ${JSON.stringify(errorBody('anthropic', error))}\n\n`,
};
