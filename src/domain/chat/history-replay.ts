// History replay: stored messages (text, images, assistant tool calls, tool results) as the
// call vocabulary's messages, consistent for whichever API the next turn uses (each wire format
// then shapes them: tool_calls / function_call items / tool_use and tool_result blocks). Every
// API rejects a tool call without its result (or a result without its call), so calls that were
// never answered are dropped with their orphans; failed and empty messages are not replayed.
// Also: chat toolResults, which must answer exactly the previous turn's open tool calls.
import type { ChatMessage, ToolCall } from '../../upstream/call-vocabulary.ts';
import { AppError } from '../../platform/errors.ts';
import type { MessageView } from './conversation-view.ts';

const ROLE = { SYSTEM: 'system', USER: 'user', ASSISTANT: 'assistant', TOOL: 'tool' } as const;

export function toChatMessage(m: MessageView): ChatMessage {
  return {
    role: ROLE[m.role],
    content: m.content,
    ...(m.images.length > 0 && { images: m.images }),
    ...(m.toolCalls.length > 0 && { toolCalls: m.toolCalls }),
    ...(m.toolCallId !== null && { toolCallId: m.toolCallId }),
  };
}

/** Keeps only tool calls that have a result after them, and only results of kept calls. */
export function pairToolCalls(messages: ChatMessage[]): ChatMessage[] {
  const answered = new Set<string>();
  for (const m of messages) if (m.role === 'tool' && m.toolCallId) answered.add(m.toolCallId);
  const kept = new Set<string>();
  const out: ChatMessage[] = [];
  for (const m of messages) {
    if (m.role === 'assistant' && m.toolCalls) {
      const calls = m.toolCalls.filter((c) => answered.has(c.id));
      calls.forEach((c) => kept.add(c.id));
      const { toolCalls: _dropped, ...rest } = m;
      const message = calls.length > 0 ? { ...rest, toolCalls: calls } : rest;
      if (message.content !== '' || calls.length > 0) out.push(message);
    } else if (m.role === 'tool') {
      if (m.toolCallId && kept.has(m.toolCallId)) out.push(m);
    } else if (m.role !== 'assistant' || m.content !== '') {
      out.push(m);
    }
  }
  return out;
}

/** The stored history as messages for the next call (new messages of this turn appended by the caller, then paired). */
export function replayHistory(history: readonly MessageView[], next: readonly ChatMessage[]): ChatMessage[] {
  // Failed and interrupted messages were never answered: they are not replayed.
  const stored = history.filter((m) => m.status !== 'FAILED' && m.status !== 'INTERRUPTED' && m.role !== 'SYSTEM').map(toChatMessage);
  return pairToolCalls([...stored, ...next]);
}

/** The tool calls of the conversation's last assistant message that no stored result answers yet. */
export function openToolCalls(history: readonly MessageView[]): ToolCall[] {
  const lastAssistant = history.findLastIndex((m) => m.role === 'ASSISTANT');
  if (lastAssistant === -1) return [];
  const answered = new Set(history.slice(lastAssistant + 1).flatMap((m) => (m.role === 'TOOL' && m.toolCallId ? [m.toolCallId] : [])));
  return history[lastAssistant]!.toolCalls.filter((c) => !answered.has(c.id));
}

/** Tool messages for chat toolResults; BAD_INPUT (field toolResults) unless they answer exactly the open calls. */
export function toolResultMessages(open: readonly ToolCall[], results: ReadonlyArray<{ toolCallId: string; content: string }>): ChatMessage[] {
  if (results.length === 0) return [];
  const ids = results.map((r) => r.toolCallId);
  const expected = open.map((c) => c.id);
  if (new Set(ids).size !== ids.length || ids.length !== expected.length || !ids.every((id) => expected.includes(id))) {
    const what = expected.length === 0 ? 'the previous turn made no open tool calls' : `they must answer exactly the open tool calls: ${expected.join(', ')}`;
    throw new AppError('BAD_INPUT', `toolResults: ${what}`, { field: 'toolResults' });
  }
  return results.map((r) => ({ role: 'tool', content: r.content, toolCallId: r.toolCallId }));
}
