// The stored history one chat turn reads: only the newest messages that can fit the context
// budget, read newest first a page at a time, never the whole conversation. A turn on a
// conversation of 40,000 messages reads what a conversation just long enough to fill the
// budget would.
//
// Reading stops once the messages read from the oldest user message on are certain to exceed
// the budget on their own (replayFloor: the least each can add after tool-call pairing), so
// fitReplay over what was read keeps exactly what it would keep over the whole conversation.
import type { ChatMessage } from '../../upstream/call-vocabulary.ts';
import { tokenBudget, type ContextWindowPolicy } from '../generation/context-budget.ts';
import { replayFloor } from './context-window.ts';
import type { ConversationStore } from './conversation-store.ts';
import type { MessageView } from './conversation-view.ts';
import { toChatMessage } from './history-replay.ts';

const FIRST_PAGE = 64;
const MAX_PAGE = 2_048;

export interface RecentHistoryOptions {
  /** Without a policy every replayable message is read (no budget to stop at). */
  policy: ContextWindowPolicy | undefined;
  model: string;
  /** Read at least down to this position (the assistant message whose tool calls this turn answers). */
  reach?: number;
}

/** The replayable messages a turn may need, oldest first. */
export async function recentHistory(store: Pick<ConversationStore, 'replayableBefore'>, conversationId: string, { policy, model, reach }: RecentHistoryOptions): Promise<MessageView[]> {
  const maxTokens = policy ? tokenBudget(model, policy) : Infinity;
  const maxBytes = policy ? policy.maxBodyBytes : Infinity;
  const newestFirst: MessageView[] = [];
  // floors of the messages from the oldest user message read on, and of those older than it so far
  let tokens = 0;
  let bytes = 0;
  let pendingTokens = 0;
  let pendingBytes = 0;
  for (let page = FIRST_PAGE; ; page = Math.min(page * 2, MAX_PAGE)) {
    const rows = await store.replayableBefore(conversationId, newestFirst.at(-1)?.position, page);
    for (const m of rows) {
      newestFirst.push(m);
      const floor = replayFloor(toChatMessage(m) satisfies ChatMessage);
      pendingTokens += floor.tokens;
      pendingBytes += floor.bytes;
      if (m.role === 'USER') {
        tokens += pendingTokens;
        bytes += pendingBytes;
        pendingTokens = 0;
        pendingBytes = 0;
      }
    }
    const oldest = newestFirst.at(-1)?.position;
    const reached = reach === undefined || (oldest !== undefined && oldest <= reach);
    if (rows.length < page || (reached && (tokens > maxTokens || bytes > maxBytes))) break;
  }
  return newestFirst.reverse();
}
