// tRPC: chat, chatStream and conversations.{list,get,delete}.
import { idInput } from '../../domain/access/schemas.ts';
import { listConversationsInput } from '../../domain/chat/chat-service.ts';
import { chatInput } from '../../domain/generation/schemas.ts';
import { callOptions } from '../call-options.ts';
import { connectionOf } from '../connection.ts';
import { authedProcedure, router } from '../init.ts';

export const chatProcedures = {
  chat: authedProcedure
    .input(chatInput)
    .mutation(({ ctx, input, signal }) => ctx.services.chat.chat(ctx.principal, input, callOptions(ctx, signal))),
  chatStream: authedProcedure
    .input(chatInput)
    .subscription(({ ctx, input, signal }) => ctx.services.chat.chatStream(ctx.principal, input, callOptions(ctx, signal, true))),
};

export const conversationsRouter = router({
  list: authedProcedure
    .input(listConversationsInput.optional())
    .query(async ({ ctx, input }) => connectionOf(await ctx.services.chat.list(ctx.principal, input ?? {}), ctx.services.chat.cursorOf)),
  get: authedProcedure.input(idInput).query(({ ctx, input }) => ctx.services.chat.get(ctx.principal, input.id)),
  delete: authedProcedure.input(idInput).mutation(({ ctx, input }) => ctx.services.chat.remove(ctx.principal, input.id)),
});
