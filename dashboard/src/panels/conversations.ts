// Conversations active in the range with what each cost over its life.
import { fill } from '../dom.ts';
import { ConversationCostsQuery } from '../documents.ts';
import { formatInt, formatUsd, formatUtcTime } from '../format.ts';
import { request } from '../graphql.ts';
import { dataTable } from '../table.ts';
import type { Panel } from './context.ts';
import { unappliedFilters } from './unapplied-filters.ts';

export const conversationsPanel: Panel = {
  id: 'conversations',
  title: 'Conversations',
  async load(ctx, body) {
    const input = { from: ctx.from.toISOString(), to: ctx.to.toISOString(), first: 20, ...ctx.scope };
    const { conversationCosts: rows } = await request(ConversationCostsQuery, { input }, ctx.apiKey);
    fill(
      body,
      unappliedFilters(ctx, 'conversations'),
      dataTable({
        id: 'conversations',
        caption: 'Conversations active in the range, most recent first, with their cost',
        rows,
        empty: 'No conversations in this range.',
        csvName: 'switchboard-conversations.csv',
        columns: [
          { label: 'Title', text: (r) => r.title },
          ...(ctx.isAdmin ? [{ label: 'User', text: (r: (typeof rows)[number]) => r.userEmail }] : []),
          { label: 'Model', text: (r) => r.model },
          { label: 'Last active (UTC)', text: (r) => formatUtcTime(r.updatedAt), raw: (r) => r.updatedAt },
          { label: 'Calls', text: (r) => formatInt(r.requests), raw: (r) => String(r.requests), numeric: true },
          { label: 'Tokens', text: (r) => formatInt(r.totalTokens), raw: (r) => String(r.totalTokens), numeric: true },
          { label: 'Cost', text: (r) => formatUsd(r.costUsd), raw: (r) => r.costUsd ?? '', numeric: true },
        ],
      }),
    );
  },
};
