// Reconciliation against Cloudflare's logs: drift in dollars, counts per state, the last run.
import { fill, h } from '../dom.ts';
import { formatInt, formatTime, formatUsd } from '../format.ts';
import { ReconciliationQuery } from '../documents.ts';
import { request } from '../graphql.ts';
import { dataTable } from '../table.ts';
import type { Panel } from './context.ts';
import { unappliedFilters } from './unapplied-filters.ts';

export const reconciliationPanel: Panel = {
  id: 'reconciliation',
  title: 'Reconciliation with Cloudflare',
  async load(ctx, body) {
    const input = { from: ctx.from.toISOString(), to: ctx.to.toISOString(), ...ctx.scope };
    const { reconciliation: report } = await request(ReconciliationQuery, { input }, ctx.apiKey);
    fill(
      body,
      unappliedFilters(ctx, 'reconciliation'),
      h(
        'div',
        { class: 'tiles' },
        h('div', { class: 'tile', 'data-testid': 'drift-usd' }, h('div', { class: 'tile-label' }, 'Drift'), h('div', { class: 'tile-value' }, formatUsd(report.driftUsd))),
        h('div', { class: 'tile', 'data-testid': 'reconciliation-last-run' }, h('div', { class: 'tile-label' }, 'Last run'), h('div', { class: 'tile-value small' }, report.lastRunAt ? formatTime(report.lastRunAt) : 'Never')),
      ),
      dataTable({
        id: 'reconciliation',
        caption: 'Ledger rows per reconciliation state',
        rows: report.byState,
        empty: 'No rows in this range.',
        csvName: 'switchboard-reconciliation.csv',
        columns: [
          { label: 'State', text: (r) => r.state.charAt(0) + r.state.slice(1).toLowerCase().replace('_', ' '), raw: (r) => r.state },
          { label: 'Requests', text: (r) => formatInt(r.requests), raw: (r) => String(r.requests), numeric: true },
          { label: 'Our cost', text: (r) => formatUsd(r.costUsd), raw: (r) => r.costUsd ?? '', numeric: true },
          { label: "Cloudflare's cost", text: (r) => formatUsd(r.upstreamCostUsd), raw: (r) => r.upstreamCostUsd ?? '', numeric: true },
        ],
      }),
    );
  },
};
