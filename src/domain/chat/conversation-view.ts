// What the APIs return for conversations, messages and chat turns.
import type { Generation, TextDeltaEvent } from '../generation/generation-view.ts';

export type MessageRole = 'SYSTEM' | 'USER' | 'ASSISTANT' | 'TOOL';
export type MessageStatus = 'COMPLETE' | 'PARTIAL' | 'FAILED' | 'INTERRUPTED';

export interface ConversationView {
  id: string;
  title: string;
  model: string;
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
  | TextDeltaEvent
  | { type: 'completed'; turn: ChatTurn };
