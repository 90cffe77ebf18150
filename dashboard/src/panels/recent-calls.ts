// Recent calls (ledger rows), newest first, with filters kept in the URL and "Show more".
import type { ResultOf, VariablesOf } from 'gql.tada';
import { fill, h } from '../dom.ts';
import { RecentCallsQuery } from '../documents.ts';
import { formatInt, formatMs, formatUsd, formatUtcTime } from '../format.ts';
import { request } from '../graphql.ts';
import { dataTable } from '../table.ts';
import type { CallFilters } from '../view-state.ts';
import type { Panel, PanelContext } from './context.ts';
import { unappliedFilters } from './unapplied-filters.ts';

type Row = ResultOf<typeof RecentCallsQuery>['recentCalls']['rows'][number];
type Input = VariablesOf<typeof RecentCallsQuery>['input'];
type Status = NonNullable<Input['status']>[number];
type Reconcile = NonNullable<Input['reconciliation']>[number];

const STATUSES: Status[] = ['OK', 'ERROR', 'CANCELLED', 'INTERRUPTED', 'PENDING'];
const RECONCILE: Reconcile[] = ['UNCHECKED', 'MATCHED', 'DRIFT', 'MISSING_UPSTREAM'];
const PAGE = 50;

const int = (v: string) => (/^\d+$/.test(v) ? Number(v) : undefined);

function inputOf(ctx: PanelContext, f: CallFilters, after: string | null): Input {
  return {
    from: ctx.from.toISOString(),
    to: ctx.to.toISOString(),
    ...ctx.scope,
    ...(ctx.isAdmin && ctx.state.key && { apiKeyId: ctx.state.key }),
    ...(ctx.isAdmin && ctx.state.team && { teamId: ctx.state.team }),
    ...(STATUSES.includes(f.status as Status) && { status: [f.status as Status] }),
    ...(f.model && { model: f.model }),
    ...(f.gateway && { gatewayId: f.gateway }),
    minLatencyMs: int(f.minLatencyMs),
    minTimeToFirstTokenMs: int(f.minTtftMs),
    minTotalTokens: int(f.minTokens),
    ...(/^\d+(\.\d+)?$/.test(f.minCostUsd) && { minCostUsd: f.minCostUsd }),
    ...(f.estimated && { estimated: f.estimated === 'yes' }),
    ...(RECONCILE.includes(f.reconciliation as Reconcile) && { reconciliation: [f.reconciliation as Reconcile] }),
    first: PAGE,
    after,
  };
}

/**
 * A call's attempts together: calls stay newest first; a retried call's attempts follow one
 * another in attempt order. Returns the rows and, per row, how many attempts its call has here.
 */
export function groupAttempts(rows: readonly Row[]): Array<{ row: Row; attempts: number }> {
  const byCall = new Map<string, Row[]>();
  for (const row of rows) byCall.set(row.callId, [...(byCall.get(row.callId) ?? []), row]);
  return [...byCall.values()].flatMap((attempts) => attempts.sort((a, b) => a.attempt - b.attempt).map((row) => ({ row, attempts: attempts.length })));
}

function field(label: string, control: HTMLElement): HTMLElement {
  return h('label', { class: 'field' }, h('span', {}, label), control);
}

function filterForm(ctx: PanelContext): HTMLFormElement {
  const f = ctx.state.calls;
  const select = (name: keyof CallFilters, options: Array<[string, string]>) =>
    h('select', { name }, ...options.map(([value, label]) => h('option', { value, selected: f[name] === value }, label)));
  const text = (name: keyof CallFilters, attrs: Record<string, string> = {}) => h('input', { name, value: f[name], ...attrs });
  const form = h(
    'form',
    { class: 'filters', 'aria-label': 'Filter recent calls', 'data-testid': 'calls-filters' },
    field('Status', select('status', [['', 'Any'], ...STATUSES.map((s): [string, string] => [s, s])])),
    field('Model', text('model', { placeholder: 'any', autocomplete: 'off' })),
    field('Gateway', text('gateway', { placeholder: 'any', autocomplete: 'off' })),
    field('Latency ≥ (ms)', text('minLatencyMs', { inputmode: 'numeric', pattern: '\\d*' })),
    field('TTFT ≥ (ms)', text('minTtftMs', { inputmode: 'numeric', pattern: '\\d*' })),
    field('Tokens ≥', text('minTokens', { inputmode: 'numeric', pattern: '\\d*' })),
    field('Cost ≥ (USD)', text('minCostUsd', { inputmode: 'decimal', pattern: '\\d*(\\.\\d+)?' })),
    field('Usage', select('estimated', [['', 'Any'], ['no', 'Reported'], ['yes', 'Estimated']])),
    field('Reconciliation', select('reconciliation', [['', 'Any'], ...RECONCILE.map((s): [string, string] => [s, s.replace('_', ' ').toLowerCase()])])),
    h('div', { class: 'filter-actions' }, h('button', { type: 'submit' }, 'Apply filters'), h('button', { type: 'reset', class: 'secondary' }, 'Clear')),
  );
  const apply = (values: (name: keyof CallFilters) => string) =>
    ctx.update((s) => {
      for (const name of Object.keys(s.calls) as Array<keyof CallFilters>) (s.calls as unknown as Record<string, string>)[name] = values(name).trim();
    });
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const data = new FormData(form);
    apply((name) => String(data.get(name) ?? ''));
  });
  form.addEventListener('reset', (e) => {
    e.preventDefault();
    apply(() => '');
  });
  return form;
}

export const recentCallsPanel: Panel = {
  id: 'calls',
  title: 'Recent calls',
  async load(ctx, body) {
    const rows: Row[] = [];
    const form = filterForm(ctx);
    const results = h('div', { 'data-testid': 'calls-results' });
    // On a phone the nine filters fold away (unless one is set), so the calls come first.
    const filtering = Object.values(ctx.state.calls).some(Boolean);
    const filters = h('details', { class: 'calls-filters', open: filtering || matchMedia('(min-width: 701px)').matches }, h('summary', {}, filtering ? 'Filters (some set)' : 'Filters'), form);
    fill(body, unappliedFilters(ctx, 'calls', ['key', 'team']), filters, results);
    const more = async (after: string | null) => {
      const page = (await request(RecentCallsQuery, { input: inputOf(ctx, ctx.state.calls, after) }, ctx.apiKey)).recentCalls;
      rows.push(...page.rows);
      const table = dataTable<{ row: Row; attempts: number }>({
        id: 'calls',
        compact: true,
        caption: "Recent calls, newest first (a retried call's attempts together)",
        rows: groupAttempts(rows),
        rowClass: ({ row, attempts }) => (attempts > 1 ? (row.attempt > 1 ? 'attempt retry' : 'attempt') : null),
        empty: 'No calls match in this range.',
        csvName: 'switchboard-calls.csv',
        columns: [
          { label: 'Time (UTC)', text: ({ row: r }) => formatUtcTime(r.createdAt), raw: ({ row: r }) => r.createdAt },
          ...(ctx.isAdmin ? [{ label: 'User', text: ({ row: r }: { row: Row }) => r.userEmail ?? r.userId, clip: 'name' as const }] : []),
          { label: 'Model', text: ({ row: r }) => (r.servedModel && r.servedModel !== r.model ? `${r.model} → ${r.servedModel}` : r.model) + (r.cacheHit ? ' (cache)' : ''), clip: 'name' },
          { label: 'Gateway', text: ({ row: r }) => r.gatewayId, clip: 'name' },
          {
            label: 'Status',
            // The error code on a line of its own, so a long code never widens the table.
            text: ({ row: r }) => (r.errorCode ? `${r.status} (${r.errorCode})` : r.status),
            raw: ({ row: r }) => r.status,
            cell: ({ row: r }) => (r.errorCode ? h('span', { class: 'status' }, r.status, h('br'), h('small', { class: 'code', title: r.errorCode }, r.errorCode)) : document.createTextNode(r.status)),
          },
          { label: 'Attempt', text: ({ row: r, attempts }) => (attempts > 1 ? `${r.attempt} of ${attempts}` : String(r.attempt)), raw: ({ row: r }) => String(r.attempt), numeric: true },
          { label: 'Latency', text: ({ row: r }) => formatMs(r.latencyMs), raw: ({ row: r }) => String(r.latencyMs), numeric: true },
          { label: 'TTFT', text: ({ row: r }) => formatMs(r.timeToFirstTokenMs), raw: ({ row: r }) => (r.timeToFirstTokenMs === null ? '' : String(r.timeToFirstTokenMs)), numeric: true },
          { label: 'Tokens', text: ({ row: r }) => `${formatInt(r.totalTokens)}${r.usageEstimated ? ' (est.)' : ''}`, raw: ({ row: r }) => String(r.totalTokens), numeric: true },
          { label: 'Cost', text: ({ row: r }) => formatUsd(r.costUsd), raw: ({ row: r }) => r.costUsd ?? '', numeric: true },
          { label: 'Reconciliation', text: ({ row: r }) => r.reconciliation.replace('_', ' ').toLowerCase(), raw: ({ row: r }) => r.reconciliation },
          { label: 'Id', text: ({ row: r }) => r.id, clip: 'id' },
        ],
      });
      const next = page.nextCursor;
      fill(results, table, next ? h('button', { type: 'button', class: 'secondary', 'data-testid': 'calls-more', onclick: () => void more(next) }, `Show ${PAGE} more`) : null);
    };
    await more(null);
  },
};
