// The top users, models, keys, teams and tags of the range, by spend then requests, and the
// spend split by modality (text, embeddings, images, transcription, speech).
import { fill, h } from '../dom.ts';
import { formatInt, formatUsd } from '../format.ts';
import { request } from '../graphql.ts';
import type { ViewState } from '../view-state.ts';
import { dataTable } from '../table.ts';
import type { Panel, PanelContext } from './context.ts';
import { TopQuery } from '../documents.ts';
import { reportInput, type Dimension } from './report.ts';

const TOP = 5;

interface Ranked {
  /** What a filter takes (a user's, key's or team's id; a model; key=value); null: the calls without one. */
  id: string | null;
  /** What people read: an email or a name where the group has one, else the id. */
  name: string;
  requests: number;
  totalTokens: number;
  costUsd: string | null;
}

const byCost = (a: Ranked, b: Ranked) => Number(b.costUsd ?? 0) - Number(a.costUsd ?? 0) || b.requests - a.requests;

type Lists = Record<'users' | 'models' | 'keys' | 'teams' | 'tags' | 'modalities', Ranked[]>;

const MODALITY_NAMES: Record<string, string> = { TEXT: 'Text', EMBEDDING: 'Embeddings', IMAGE: 'Images', TRANSCRIPTION: 'Transcription', SPEECH: 'Speech' };

/** Every list in one request (users and teams for an admin only). */
async function load(ctx: PanelContext): Promise<Lists> {
  const input = (dimension: Dimension) => reportInput(ctx, [dimension]);
  const result = await request(
    TopQuery,
    { users: input('USER'), models: input('MODEL'), keys: input('API_KEY'), teams: input('TEAM'), tags: input('TAG'), modalities: input('MODALITY'), admin: ctx.isAdmin },
    ctx.apiKey,
  );
  const ranked = (r: { requests: number; totalTokens: number; costUsd?: string | null }, id: string | null | undefined, name: string | null | undefined, none: string): Ranked => ({
    id: id ?? null,
    name: name ?? id ?? none,
    requests: r.requests,
    totalTokens: r.totalTokens,
    costUsd: r.costUsd ?? null,
  });
  return {
    users: (result.users?.rows ?? []).map((r) => ranked(r, r.userId, r.userEmail, '(unknown user)')),
    models: result.models.rows.map((r) => ranked(r, r.model, null, '(unknown model)')),
    // Calls without a stored key: made with the bootstrap ADMIN_API_KEY.
    keys: result.keys.rows.map((r) => ranked(r, r.apiKeyId, r.apiKeyName, '(no key)')),
    teams: (result.teams?.rows ?? []).map((r) => ranked(r, r.teamId, r.teamName, '(no team)')),
    tags: result.tags.rows.map((r) => ranked(r, r.tagKey === null || r.tagKey === undefined ? null : `${r.tagKey}=${r.tagValue ?? ''}`, null, '(untagged)')),
    modalities: result.modalities.rows.map((r) => ranked(r, r.modality, r.modality ? (MODALITY_NAMES[r.modality] ?? r.modality) : null, '(unknown)')),
  };
}

function list(id: string, title: string, rows: Ranked[], nameLabel: string, filter?: (id: string) => void): HTMLElement {
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
          cell: (r) =>
            filter && r.id !== null
              ? h('button', { type: 'button', class: 'link', title: `Show only ${r.name}${r.name === r.id ? '' : ` (${r.id})`}`, 'data-id': r.id, onclick: () => filter(r.id!) }, r.name)
              : h('span', { title: r.id !== null && r.id !== r.name ? r.id : null }, r.name),
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
    const lists = await load(ctx);
    const filter = (set: (s: ViewState, name: string) => void) => (name: string) => ctx.update((s) => set(s, name));
    const sections = [
      ctx.isAdmin ? list('top-users', 'Users', lists.users, 'User', filter((s, v) => (s.user = v))) : null,
      list('top-models', 'Models', lists.models, 'Model'),
      list('top-keys', 'API keys', lists.keys, 'Key', ctx.isAdmin ? filter((s, v) => (s.key = v)) : undefined),
      ctx.isAdmin ? list('top-teams', 'Teams', lists.teams, 'Team', filter((s, v) => (s.team = v))) : null,
      list('top-tags', 'Tags', lists.tags, 'Tag', ctx.isAdmin ? filter((s, v) => (s.tag = v)) : undefined),
      list('top-modalities', 'Spend by modality', lists.modalities, 'Modality'),
    ];
    fill(body, h('div', { class: 'top-grid' }, ...sections));
  },
};
