// GraphQL: chat, chatStream, conversations, conversation, deleteConversation.
import { listConversationsInput } from '../../domain/chat/chat-service.ts';
import { MAX_MESSAGES_PAGE, messagePageInput } from '../../domain/chat/message-pages.ts';
import type { ChatEvent, ChatTurn, ConversationPage, ConversationView, MessageView } from '../../domain/chat/conversation-view.ts';
import { idInput } from '../../domain/access/schemas.ts';
import { chatInput } from '../../domain/generation/schemas.ts';
import { parseInput } from '../../domain/validation.ts';
import { builder, principalOf } from '../builder.ts';
import { callOptions, generationOptionFields, GenerationRef, TextDeltaRef } from './generation.ts';
import { ImageInputRef, ImageRef, ReasoningDeltaRef, ToolCallDeltaRef, ToolCallRef, ToolResultInputRef } from './beyond-text.ts';

const MessageRoleEnum = builder.enumType('MessageRole', { values: ['SYSTEM', 'USER', 'ASSISTANT', 'TOOL'] as const });
const MessageStatusEnum = builder.enumType('MessageStatus', {
  values: ['COMPLETE', 'PARTIAL', 'FAILED', 'INTERRUPTED'] as const,
  description: 'PARTIAL: a stream cut short or cancelled; the text is what arrived. INTERRUPTED: the process died during the turn',
});

const MessageRef = builder.objectRef<MessageView>('Message').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    conversationId: t.exposeID('conversationId'),
    position: t.exposeInt('position'),
    role: t.field({ type: MessageRoleEnum, resolve: (m) => m.role }),
    content: t.exposeString('content'),
    status: t.field({ type: MessageStatusEnum, resolve: (m) => m.status }),
    toolCalls: t.field({ type: [ToolCallRef], description: 'ASSISTANT: the tool calls it made', resolve: (m) => m.toolCalls }),
    toolCallId: t.exposeString('toolCallId', { nullable: true, description: 'TOOL: the call it answers' }),
    images: t.field({ type: [ImageRef], description: 'USER: images sent with it', resolve: (m) => m.images }),
    generationId: t.exposeID('generationId', { nullable: true, description: 'The usage record of the call' }),
    createdAt: t.field({ type: 'DateTime', resolve: (m) => m.createdAt }),
  }),
});

const ConversationRef = builder.objectRef<ConversationView & { messages?: MessageView[] }>('Conversation').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    title: t.exposeString('title'),
    model: t.exposeString('model'),
    system: t.exposeString('system', { nullable: true, description: "The system prompt replayed on every turn; a later turn's system replaces it" }),
    createdAt: t.field({ type: 'DateTime', resolve: (c) => c.createdAt }),
    updatedAt: t.field({ type: 'DateTime', resolve: (c) => c.updatedAt }),
    messages: t.field({
      type: [MessageRef],
      description: 'In order; a page of at most `first` (default and maximum 500) after `afterPosition`',
      args: { first: t.arg.int(), afterPosition: t.arg.int() },
      resolve: (c, args, ctx) => {
        const page = parseInput(messagePageInput, args);
        if (c.messages && page.first == null && page.afterPosition == null && c.messages.length <= MAX_MESSAGES_PAGE) return c.messages;
        return ctx.messageLoader.load({ conversationId: c.id, page });
      },
    }),
  }),
});

const ConversationEdgeRef = builder.objectRef<ConversationView>('ConversationEdge').implement({
  fields: (t) => ({
    cursor: t.string({ resolve: (c, _args, ctx) => ctx.services.chat.cursorOf(c) }),
    node: t.field({ type: ConversationRef, resolve: (c) => c }),
  }),
});

const PageInfoRef = builder.objectRef<ConversationPage>('PageInfo').implement({
  fields: (t) => ({
    hasNextPage: t.exposeBoolean('hasNextPage'),
    endCursor: t.exposeString('endCursor', { nullable: true }),
  }),
});

const ConversationConnectionRef = builder.objectRef<ConversationPage>('ConversationConnection').implement({
  fields: (t) => ({
    edges: t.field({ type: [ConversationEdgeRef], resolve: (p) => p.nodes }),
    nodes: t.field({ type: [ConversationRef], resolve: (p) => p.nodes }),
    pageInfo: t.field({ type: PageInfoRef, resolve: (p) => p }),
  }),
});

const ChatTurnRef = builder.objectRef<ChatTurn>('ChatTurn').implement({
  fields: (t) => ({
    conversation: t.field({ type: ConversationRef, resolve: (turn) => turn.conversation }),
    userMessage: t.field({ type: MessageRef, resolve: (turn) => turn.userMessage }),
    assistantMessage: t.field({ type: MessageRef, resolve: (turn) => turn.assistantMessage }),
    generation: t.field({ type: GenerationRef, resolve: (turn) => turn.generation }),
  }),
});

const ConversationStartedRef = builder.objectRef<Extract<ChatEvent, { type: 'conversationStarted' }>>('ConversationStarted').implement({
  isTypeOf: (v) => (v as { type?: string }).type === 'conversationStarted',
  fields: (t) => ({ conversation: t.field({ type: ConversationRef, resolve: (e) => e.conversation }) }),
});

const ChatTurnCompletedRef = builder.objectRef<Extract<ChatEvent, { type: 'completed' }>>('ChatTurnCompleted').implement({
  isTypeOf: (v) => (v as { type?: string }).type === 'completed' && 'turn' in (v as object),
  fields: (t) => ({ turn: t.field({ type: ChatTurnRef, resolve: (e) => e.turn }) }),
});

const ChatEventRef = builder.unionType('ChatEvent', { types: [ConversationStartedRef, TextDeltaRef, ToolCallDeltaRef, ReasoningDeltaRef, ChatTurnCompletedRef] });

const ChatInputRef = builder.inputType('ChatInput', {
  fields: (t) => ({
    ...generationOptionFields(t),
    conversationId: t.id({ description: 'Absent: a new conversation is created' }),
    message: t.string({ description: 'Optional when toolResults answer the previous turn' }),
    images: t.field({ type: [ImageInputRef], description: 'Images sent with the message' }),
    toolResults: t.field({ type: [ToolResultInputRef], description: "Results answering the previous turn's tool calls (all of them)" }),
  }),
});

builder.queryFields((t) => ({
  conversations: t.field({
    type: ConversationConnectionRef,
    description: "The caller's conversations, most recently active first",
    args: { first: t.arg.int(), after: t.arg.string() },
    resolve: (_root, args, ctx) => ctx.services.chat.list(principalOf(ctx), parseInput(listConversationsInput, args)),
  }),
  conversation: t.field({
    type: ConversationRef,
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => ctx.services.chat.get(principalOf(ctx), parseInput(idInput, args).id),
  }),
}));

builder.mutationFields((t) => ({
  chat: t.field({
    type: ChatTurnRef,
    args: { input: t.arg({ type: ChatInputRef, required: true }) },
    resolve: (_root, args, ctx) => ctx.services.chat.chat(principalOf(ctx), parseInput(chatInput, args.input), callOptions(ctx)),
  }),
  deleteConversation: t.boolean({
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => ctx.services.chat.remove(principalOf(ctx), parseInput(idInput, args).id),
  }),
}));

builder.subscriptionField('chatStream', (t) =>
  t.field({
    type: ChatEventRef,
    args: { input: t.arg({ type: ChatInputRef, required: true }) },
    subscribe: (_root, args, ctx) => {
      const principal = principalOf(ctx);
      const input = parseInput(chatInput, args.input);
      return ctx.services.chat.chatStream(principal, input, callOptions(ctx));
    },
    resolve: (event: ChatEvent) => event,
  }),
);
