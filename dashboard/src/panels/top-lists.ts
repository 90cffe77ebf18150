// The top users, models, keys, teams and tags of the range, by spend then requests.
import { fill, h } from '../dom.ts';
import { formatInt, formatUsd } from '../format.ts';
import { isUnsupported, requestPending } from '../graphql.ts';
import { groupedReportQuery, PENDING_DIMENSIONS, type GroupedReportResult, type PendingDimension } from '../pending-documents.ts';
import { dataTable } from '../table.ts';
import type { Panel, PanelContext } from './context.ts';
import { TopQuery } from '../documents.ts';
import { reportInput, withFilters } from './report.ts';

const TOP = 5;

interface Ranked {
  name: string;
  requests: number;
  totalTokens: number;
  costUsd: string | null;
}

const byCost = (a: Ranked, b: Ranked) => Number(b.costUsd ?? 0) - Number(a.costUsd ?? 0) || b.requests - a.requests;

/** Users (admin) and models in one request. */
async function typed(ctx: PanelContext): Promise<{ users: Ranked[]; models: Ranked[] }> {
  const result = await withFilters(ctx, TopQuery, { users: reportInput(ctx, ['USER']), models: reportInput(ctx, ['MODEL']), withUsers: ctx.isAdmin }, ['users', 'models']);
  const ranked = (r: { requests: number; totalTokens: number; costUsd?: string | null }, name: string | null | undefined): Ranked => ({ name: name ?? '—', requests: r.requests, totalTokens: r.totalTokens, costUsd: r.costUsd ?? null });
  return { users: (result.users?.rows ?? []).map((r) => ranked(r, r.userId)), models: result.models.rows.map((r) => ranked(r, r.model)) };
}

async function pending(ctx: PanelContext, dim: PendingDimension): Promise<Ranked[]> {
  const result = await requestPending<GroupedReportResult>(groupedReportQuery(dim, false), { input: { ...reportInput(ctx, []), groupBy: [dim] } }, ctx.apiKey);
  const field = PENDING_DIMENSIONS[dim];
  return result.usageReport.rows.map((r) => ({
    name: r[field] === null || r[field] === undefined ? '(none)' : typeof r[field] === 'object' ? JSON.stringify(r[field]) : String(r[field]),
    requests: Number(r.requests),
    totalTokens: Number(r.totalTokens),
    costUsd: r.costUsd === null ? null : String(r.costUsd),
  }));
}

function list(id: string, title: string, rows: Ranked[], nameLabel: string, filter?: (name: string) => void): HTMLElement {
  return h(
    'section',
    { class: 'top-list', 'aria-labelledby': `${id}-h` },
    h('h3', { id: `${id}-h` }, title),
    dataTable<Ranked>({
      id,
      caption: title,
      rows: rows.sort(byCost).slice(0, TOP),
      empty: 'None in this range.',
      csvName: `switchboard-${id}.csv`,
      columns: [
        {
          label: nameLabel,
          text: (r) => r.name,
          cell: filter ? (r) => h('button', { type: 'button', class: 'link', title: `Show only ${r.name}`, onclick: () => filter(r.name) }, r.name) : undefined,
        },
        { label: 'Spend', text: (r) => formatUsd(r.costUsd), raw: (r) => r.costUsd ?? '', numeric: true },
        { label: 'Requests', text: (r) => formatInt(r.requests), raw: (r) => String(r.requests), numeric: true },
      ],
    }),
  );
}

export const topListsPanel: Panel = {
  id: 'top',
  title: 'Top spenders',
  async load(ctx, body) {
    const both = typed(ctx);
    const unsupported = Symbol('unsupported');
    const maybe = (dim: PendingDimension) => (ctx.offers('dimension', dim) ? () => pending(ctx, dim) : () => Promise.reject(unsupported));
    type Entry = [string, string, string, () => Promise<Ranked[]>];
    const lists: Entry[] = [
      ...(ctx.isAdmin ? [['top-users', 'Users', 'User id', async () => (await both).users] as Entry] : []),
      ['top-models', 'Models', 'Model', async () => (await both).models],
      ['top-keys', 'API keys', 'Key id', maybe('API_KEY')],
      ...(ctx.isAdmin ? [['top-teams', 'Teams', 'Team id', maybe('TEAM')] as Entry] : []),
      ['top-tags', 'Tags', 'Tag', maybe('TAG')],
    ];
    const results = await Promise.allSettled(lists.map(([, , , run]) => run()));
    const sections: HTMLElement[] = [];
    results.forEach((result, i) => {
      const [id, title, nameLabel] = lists[i]!;
      const filter = id === 'top-users' ? (user: string) => ctx.update((s) => (s.user = user)) : undefined;
      if (result.status === 'fulfilled') sections.push(list(id, title, result.value, nameLabel, filter));
      else if (result.reason === unsupported || isUnsupported(result.reason)) sections.push(h('section', { class: 'top-list' }, h('h3', {}, title), h('p', { class: 'notice', 'data-testid': `${id}-unsupported` }, `This server does not report by ${title.toLowerCase().replace("api", "API")} yet.`)));
      else throw result.reason;
    });
    fill(body, h('div', { class: 'top-grid' }, ...sections));
  },
};
