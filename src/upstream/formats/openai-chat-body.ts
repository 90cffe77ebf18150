// The OpenAI Chat Completions request shape, shared by /ai/v1/chat/completions and /ai/run
// (which passes the OpenAI shape): messages with image parts, assistant tool_calls and tool
// results; tools, tool_choice, response_format, stop and reasoning_effort.
import type { ChatMessage, UpstreamRequest } from '../call-vocabulary.ts';
import { imageUrl, type Json } from './shared.ts';

function wireMessage(m: ChatMessage): Json {
  if (m.role === 'tool') return { role: 'tool', tool_call_id: m.toolCallId, content: m.content };
  if (m.role === 'assistant' && m.toolCalls?.length) {
    return {
      role: 'assistant',
      content: m.content === '' ? null : m.content,
      tool_calls: m.toolCalls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.arguments } })),
    };
  }
  if (m.images?.length) {
    return {
      role: m.role,
      content: [
        ...(m.content !== '' ? [{ type: 'text', text: m.content }] : []),
        ...m.images.map((image) => ({ type: 'image_url', image_url: { url: imageUrl(image) } })),
      ],
    };
  }
  return { role: m.role, content: m.content };
}

/** System prompt plus messages in the Chat Completions shape. */
export function openAiChatMessages(req: UpstreamRequest): Json[] {
  const out = req.messages.map(wireMessage);
  return req.system ? [{ role: 'system', content: req.system }, ...out] : out;
}

/** tools, tool_choice, response_format, stop and reasoning_effort in the Chat Completions shape. */
export function openAiChatOptions(req: UpstreamRequest): Json {
  const body: Json = {};
  if (req.tools?.length) {
    body.tools = req.tools.map((t) => ({
      type: 'function',
      function: { name: t.name, ...(t.description !== undefined && { description: t.description }), parameters: t.parameters },
    }));
  }
  if (req.toolChoice) {
    body.tool_choice = req.toolChoice.mode === 'TOOL' ? { type: 'function', function: { name: req.toolChoice.name } } : req.toolChoice.mode.toLowerCase();
  }
  const format = req.responseFormat;
  if (format?.type === 'JSON_OBJECT') body.response_format = { type: 'json_object' };
  if (format?.type === 'JSON_SCHEMA') {
    body.response_format = {
      type: 'json_schema',
      json_schema: { name: format.name ?? 'output', schema: format.schema, ...(format.strict !== undefined && { strict: format.strict }) },
    };
  }
  if (req.stop?.length) body.stop = req.stop;
  if (req.reasoningEffort) body.reasoning_effort = req.reasoningEffort.toLowerCase();
  return body;
}
