// One DataLoader per GraphQL request for Conversation.messages: every conversation of a list is
// loaded in one batched query (per page argument), never one query each.
import DataLoader from 'dataloader';
import type { Principal } from '../domain/access/principal.ts';
import type { MessagePageInput } from '../domain/chat/message-pages.ts';
import type { MessageView } from '../domain/chat/conversation-view.ts';
import type { Services } from '../domain/services.ts';

interface Key {
  conversationId: string;
  page: MessagePageInput;
}

export type MessageLoader = DataLoader<Key, MessageView[], string>;

const pageKey = (page: MessagePageInput): string => `${page.first ?? ''}:${page.afterPosition ?? ''}`;

export function createMessageLoader(services: Services, principal: () => Principal): MessageLoader {
  return new DataLoader<Key, MessageView[], string>(
    async (keys) => {
      const byPage = new Map<string, { page: MessagePageInput; ids: string[] }>();
      for (const k of keys) {
        const group = byPage.get(pageKey(k.page)) ?? { page: k.page, ids: [] };
        group.ids.push(k.conversationId);
        byPage.set(pageKey(k.page), group);
      }
      const loaded = new Map<string, MessageView[]>();
      for (const [pk, group] of byPage) {
        const pages = await services.messagePages.pagesOf(principal(), group.ids, group.page);
        for (const [id, messages] of pages) loaded.set(`${id}|${pk}`, messages);
      }
      return keys.map((k) => loaded.get(`${k.conversationId}|${pageKey(k.page)}`) ?? []);
    },
    { cacheKeyFn: (k) => `${k.conversationId}|${pageKey(k.page)}`, maxBatchSize: 100 },
  );
}
