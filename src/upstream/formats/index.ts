import type { UpstreamApi } from '../call-vocabulary.ts';
import { chatCompletions } from './chat-completions.ts';
import { messages } from './messages.ts';
import { responses } from './responses.ts';
import { run } from './run.ts';
import type { WireFormat } from './shared.ts';

export const WIRE_FORMATS: Readonly<Record<UpstreamApi, WireFormat>> = {
  CHAT_COMPLETIONS: chatCompletions,
  RESPONSES: responses,
  MESSAGES: messages,
  RUN: run,
};

export type { WireFormat, StreamMapper, ParsedResult } from './shared.ts';
