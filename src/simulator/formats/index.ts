import { chatCompletionsSim } from './chat-completions.ts';
import { messagesSim } from './messages.ts';
import { responsesSim } from './responses.ts';
import { runSim } from './run.ts';
import type { SimFormat } from './shared.ts';

export const SIM_FORMATS = {
  'v1/chat/completions': chatCompletionsSim,
  'v1/responses': responsesSim,
  'v1/messages': messagesSim,
  run: runSim,
} satisfies Record<string, SimFormat>;

export type { SimFormat, SimRequest, Frame } from './shared.ts';
export { BadSimRequest } from './shared.ts';
