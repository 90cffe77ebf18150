// chat / chatStream: a turn in a stored conversation. The user message is stored before the
// upstream call, the assistant message after it (partial text kept and marked when a stream is
// cut short or cancelled); earlier messages are replayed to the model in order.
import { z } from 'zod';
import { safeString } from '../safe-text.ts';
import type { ChatMessage } from '../../upstream/call-vocabulary.ts';
import type { Principal } from '../access/principal.ts';
import type { Reservation } from '../generation/admission.ts';
import type { CallContext, CallOutcome } from '../generation/call-runner.ts';
import { abortableStream } from '../abortable-stream.ts';
import { idempotencyKeyOf, type CallOptions } from '../call-options.ts';
import type { GenerationService } from '../generation/generation-service.ts';
import type { CallRunner } from '../generation/call-runner.ts';
import type { ChatInput } from '../generation/schemas.ts';
import type { Idempotency } from '../idempotency/idempotency.ts';
import { fitReplay, type ContextWindowPolicy } from './context-window.ts';
import type { ConversationStore } from './conversation-store.ts';
import { replayHistory, toolResultMessages } from './history-replay.ts';
import { recentHistory } from './recent-history.ts';
import { toImage } from '../generation/message-input.ts';
import type { ChatEvent, ChatTurn, ConversationPage, ConversationView, ConversationWithMessages, MessageStatus, MessageView } from './conversation-view.ts';

export const listConversationsInput = z.object({
  first: z.number().int().min(1).max(100).optional().nullable(),
  after: safeString().pipe(z.string().max(200)).optional().nullable(),
});
export type ListConversationsInput = z.infer<typeof listConversationsInput>;

const TITLE_LENGTH = 60;

export function titleFrom(message: string): string {
  const flat = message.replace(/\s+/g, ' ').trim();
  if (flat.length <= TITLE_LENGTH) return flat;
  const cut = flat.slice(0, TITLE_LENGTH);
  const space = cut.lastIndexOf(' ');
  return `${(space > TITLE_LENGTH / 2 ? cut.slice(0, space) : cut).trimEnd()}…`;
}

function statusOf(outcome: CallOutcome): MessageStatus {
  if (outcome.row.status === 'OK') return 'COMPLETE';
  return outcome.text === '' ? 'FAILED' : 'PARTIAL';
}

export function createChatService({ store, generation, runner, idempotency, contextWindow }: { store: ConversationStore; generation: GenerationService; runner: CallRunner; idempotency?: Idempotency; contextWindow?: ContextWindowPolicy }) {
  interface Started {
    conversation: ConversationView;
    userMessage: MessageView;
    prepared: Awaited<ReturnType<GenerationService['prepare']>>;
    assistant: { message?: MessageView };
    onSettled: (o: CallOutcome) => Promise<void>;
    /** Admitted before anything was stored: a refused turn stores nothing. */
    reservation: Reservation;
    context: CallContext;
  }

  /** Everything before the upstream call: conversation, history, the stored user message. */
  async function start(principal: Principal, input: ChatInput, call: CallOptions, idempotencyKey: string | undefined): Promise<Started> {
    generation.checkSize('message', input.message);
    generation.checkSize('system', input.system);
    generation.checkImages(input.images, 'images');
    (input.toolResults ?? []).forEach((r, i) => generation.checkSize(`toolResults.${i}.content`, r.content));
    const existing = input.conversationId ? await store.getOwned(principal.userId, input.conversationId) : undefined;
    // Only what this turn can replay is read (recent-history.ts), newest first.
    const open = existing && input.toolResults?.length ? await store.openToolCalls(existing.id) : undefined;
    const results = toolResultMessages(open?.calls ?? [], input.toolResults ?? []);
    const history = existing ? await recentHistory(store, existing.id, { policy: contextWindow, model: input.model, reach: open?.position }) : [];
    const images = (input.images ?? []).map(toImage);
    const userTurn: ChatMessage[] = typeof input.message === 'string' ? [{ role: 'user', content: input.message, ...(images.length > 0 && { images }) }] : [];
    const replay = replayHistory(history, [...results, ...userTurn]);
    // The conversation keeps its system prompt; a turn that sends one replaces it.
    const system = input.system ?? existing?.system ?? undefined;
    const replacesSystem = existing !== undefined && input.system != null && input.system !== existing.system;
    // Bounded replay (context-window.ts): oldest turns dropped to fit; a turn that cannot fit is BAD_INPUT.
    if (contextWindow) replay.splice(0, replay.length, ...fitReplay(replay, results.length + userTurn.length, system, input.model, contextWindow));
    // Resolve gateway and routing before anything is stored: bad input stores nothing.
    const prepared = await generation.prepare(principal, input, replay, system);
    const reservation = await runner.admit(prepared, { ...call, principal });
    let conversation: ConversationView;
    let userMessage: MessageView;
    try {
      conversation = existing ?? (await store.create(principal.userId, titleFrom(input.message ?? ''), input.model, input.system ?? null));
      const newSystem = replacesSystem ? input.system! : undefined;
      let stored: MessageView | undefined;
      for (const r of results) {
        stored = await store.append(conversation.id, { role: 'TOOL', content: r.content, toolCallId: r.toolCallId, status: 'COMPLETE', usageRecordId: prepared.request.eventId }, newSystem);
      }
      if (typeof input.message === 'string') {
        stored = await store.append(conversation.id, { role: 'USER', content: input.message, images, status: 'COMPLETE', usageRecordId: prepared.request.eventId }, newSystem);
      }
      userMessage = stored!;
    } catch (error) {
      await reservation.release();
      throw error;
    }
    const assistant: Started['assistant'] = {};
    const onSettled = async (outcome: CallOutcome) => {
      // A call that failed before any text has no assistant message (history replays what was said).
      if (outcome.row.status === 'ERROR' && outcome.text === '') return;
      assistant.message = await store.append(conversation.id, {
        role: 'ASSISTANT',
        content: outcome.text,
        // Only a finished call's tool calls are whole (and may be answered next turn).
        toolCalls: outcome.row.status === 'OK' ? outcome.toolCalls : [],
        status: statusOf(outcome),
        usageRecordId: outcome.row.id,
      });
    };
    const context: CallContext = { ...call, principal, conversationId: conversation.id, idempotencyKey };
    return { conversation, userMessage, prepared, assistant, onSettled, reservation, context };
  }

  async function chat(principal: Principal, input: ChatInput, call: CallOptions): Promise<ChatTurn> {
    const key = idempotencyKeyOf(call, input);
    const once = async (): Promise<ChatTurn> => {
      const s = await start(principal, input, call, key);
      const gen = await runner.complete(s.prepared, s.context, { onSettled: s.onSettled, reservation: s.reservation });
      return { conversation: await store.getOwned(principal.userId, s.conversation.id), userMessage: s.userMessage, assistantMessage: s.assistant.message!, generation: gen };
    };
    if (!idempotency || !key) return once();
    return idempotency.run({ userId: principal.userId, key, operation: 'chat', input, signal: call.signal, generationIdOf: (t) => t.generation.id, run: once });
  }

  /** The stream, stoppable at once by the caller's signal or by `return()` (a client that left). */
  function chatStream(principal: Principal, input: ChatInput, call: CallOptions): AsyncIterableIterator<ChatEvent> {
    const key = idempotencyKeyOf(call, input);
    return abortableStream((signal) => chatEvents(principal, input, { ...call, signal }, key), call.signal);
  }

  async function* chatEvents(principal: Principal, input: ChatInput, call: CallOptions, key: string | undefined): AsyncGenerator<ChatEvent> {
    const s = await start(principal, input, call, key);
    let resumed = false;
    try {
      yield { type: 'conversationStarted', conversation: s.conversation };
      resumed = true;
    } finally {
      // The client left before the upstream call: the reservation goes back (no call, no record).
      if (!resumed) await s.reservation.release();
    }
    const gen = yield* runner.stream(s.prepared, s.context, { onSettled: s.onSettled, reservation: s.reservation });
    const conversation = await store.getOwned(principal.userId, s.conversation.id);
    yield { type: 'completed', turn: { conversation, userMessage: s.userMessage, assistantMessage: s.assistant.message!, generation: gen } };
  }

  async function list(principal: Principal, input: ListConversationsInput): Promise<ConversationPage> {
    return store.list(principal.userId, input.first ?? 20, input.after);
  }

  async function get(principal: Principal, id: string): Promise<ConversationWithMessages> {
    const conversation = await store.getOwned(principal.userId, id);
    return { ...conversation, messages: await store.messages(id) };
  }

  /** Messages of a conversation the caller owns (for GraphQL's lazy field). */
  async function messagesOf(principal: Principal, id: string): Promise<MessageView[]> {
    await store.getOwned(principal.userId, id);
    return store.messages(id);
  }

  const remove = (principal: Principal, id: string) => store.remove(principal.userId, id);

  return { chat, chatStream, list, get, messagesOf, remove, cursorOf: store.cursorOf };
}

export type ChatService = ReturnType<typeof createChatService>;
