// The range's totals: exactly usageReport's totals for the same range and filters (those of the
// daily report the usage chart draws: one request for both panels).
import { h, fill } from '../dom.ts';
import { formatInt, formatUsd } from '../format.ts';
import type { Panel } from './context.ts';
import { dailyReport } from './daily-report.ts';

const tile = (id: string, label: string, shown: string, raw: string, note?: string) =>
  h('div', { class: 'tile', 'data-testid': `total-${id}`, 'data-value': raw }, h('div', { class: 'tile-label' }, label), h('div', { class: 'tile-value' }, shown), note ? h('div', { class: 'tile-note' }, note) : null);

export const totalsPanel: Panel = {
  id: 'totals',
  title: 'Totals',
  async load(ctx, body) {
    const { totals } = await dailyReport(ctx);
    fill(
      body,
      tile('cost', 'Spend', formatUsd(totals.costUsd ?? '0'), totals.costUsd ?? '', totals.costUsd === null && totals.requests > 0 ? 'no priced calls' : undefined),
      tile('requests', 'Requests', formatInt(totals.requests), String(totals.requests)),
      tile('cache', 'Cache hits', formatInt(totals.cacheHits), String(totals.cacheHits), totals.cacheSavedUsd !== null ? `${formatUsd(totals.cacheSavedUsd)} saved` : undefined),
      tile('tokens', 'Tokens', formatInt(totals.totalTokens), String(totals.totalTokens), `${formatInt(totals.inputTokens + totals.cachedInputTokens + totals.cacheWriteTokens)} in · ${formatInt(totals.outputTokens)} out`),
    );
    if (totals.requests === 0) body.append(h('p', { class: 'empty', 'data-testid': 'range-empty' }, 'No usage in this range.'));
  },
};
