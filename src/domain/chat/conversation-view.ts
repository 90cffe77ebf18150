// What the APIs return for conversations, messages and chat turns.
import type { ImageInput, ToolCall } from '../../upstream/call-vocabulary.ts';
import type { Generation, OutputStreamEvent } from '../generation/generation-view.ts';

export type MessageRole = 'SYSTEM' | 'USER' | 'ASSISTANT' | 'TOOL';
export type MessageStatus = 'COMPLETE' | 'PARTIAL' | 'FAILED' | 'INTERRUPTED';

export interface ConversationView {
  id: string;
  title: string;
  model: string;
  /** The system prompt replayed on every turn; a later turn's `system` replaces it. */
  system: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface MessageView {
  id: string;
  conversationId: string;
  position: number;
  role: MessageRole;
  content: string;
  status: MessageStatus;
  /** ASSISTANT: the tool calls it made. */
  toolCalls: ToolCall[];
  /** TOOL: the call it answers. */
  toolCallId: string | null;
  /** USER: images sent with it. */
  images: ImageInput[];
  /** The usage record of the call this message belongs to. */
  generationId: string | null;
  createdAt: Date;
}

export interface ConversationWithMessages extends ConversationView {
  messages: MessageView[];
}

export interface ChatTurn {
  conversation: ConversationView;
  userMessage: MessageView;
  assistantMessage: MessageView;
  generation: Generation;
}

export interface ConversationPage {
  nodes: ConversationView[];
  endCursor: string | null;
  hasNextPage: boolean;
}

export type ChatEvent =
  | { type: 'conversationStarted'; conversation: ConversationView }
  | OutputStreamEvent
  | { type: 'completed'; turn: ChatTurn };
