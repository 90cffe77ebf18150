// The caller's own limits and what is left of each: requests in the last minute, tokens today
// (UTC), spend this month (UTC). What is left is me.remaining (the tightest of the key's, user's
// and team's limits, as the server counts them); the user's limits and its own usageReport give
// the scale. When the limit store does not answer (remaining null), the user's limits against its usage.
import { fill, h } from '../dom.ts';
import { formatInt, formatUsd } from '../format.ts';
import { requestLimits } from '../limits-request.ts';
import type { Panel } from './context.ts';

interface Gauge {
  id: string;
  label: string;
  limit: number | null;
  used: number | null;
  remaining: number | null;
  format: (n: number) => string;
}

function meter(g: Gauge): HTMLElement {
  if (g.limit === null && g.remaining === null) {
    return h('div', { class: 'gauge', 'data-testid': `budget-${g.id}` }, h('div', { class: 'gauge-label' }, g.label), h('div', { class: 'gauge-value' }, 'No limit'), g.used !== null ? h('div', { class: 'tile-note' }, `${g.format(g.used)} used`) : null);
  }
  const remaining = g.remaining ?? Math.max(0, (g.limit ?? 0) - (g.used ?? 0));
  const limit = g.limit ?? remaining + (g.used ?? 0);
  const fraction = limit > 0 ? Math.min(1, Math.max(0, 1 - remaining / limit)) : 1;
  return h(
    'div',
    { class: 'gauge', 'data-testid': `budget-${g.id}` },
    h('div', { class: 'gauge-label', id: `gauge-${g.id}` }, g.label),
    h('div', { class: 'gauge-value' }, `${g.format(remaining)} left`),
    h('meter', { min: 0, max: 1, low: 0.7, high: 0.9, optimum: 0, value: fraction.toFixed(3), 'aria-labelledby': `gauge-${g.id}`, 'aria-valuetext': `${Math.round(fraction * 100)}% used` }),
    h('div', { class: 'tile-note' }, `${g.format(limit - remaining)} of ${g.format(limit)} used`),
  );
}

/** The key under which a load shares the limits request (main.ts seeds the first load with it). */
export const LIMITS = 'limits';

export const budgetPanel: Panel = {
  id: 'budget',
  title: 'Your limits',
  async load(ctx, body) {
    // The first load's was sent beside MeQuery (main.ts).
    const { me, minute, day, month } = await ctx.once(LIMITS, () => requestLimits(ctx.apiKey));
    const remaining = me.remaining;
    const limits = me.limits;
    const budget = limits.monthlyBudgetUsd === null || limits.monthlyBudgetUsd === undefined ? null : Number(limits.monthlyBudgetUsd);
    const gauges: Gauge[] = [
      { id: 'rpm', label: 'Requests this minute', limit: limits.requestsPerMinute ?? null, used: minute.totals.requests, remaining: remaining?.requestsThisMinute ?? null, format: formatInt },
      { id: 'tokens', label: 'Tokens today (UTC)', limit: limits.tokensPerDay ?? null, used: day.totals.totalTokens, remaining: remaining?.tokensToday ?? null, format: formatInt },
      {
        id: 'spend',
        label: 'Spend this month (UTC)',
        limit: budget,
        used: Number(month.totals.costUsd ?? 0),
        remaining: remaining?.budgetUsdThisMonth === null || remaining?.budgetUsdThisMonth === undefined ? null : Number(remaining.budgetUsdThisMonth),
        format: (n) => formatUsd(String(n)),
      },
    ];
    fill(
      body,
      h('div', { class: 'gauges' }, ...gauges.map(meter)),
      h('p', { class: 'panel-sub' }, remaining ? 'The tightest of your key, user and team limits, as the server counts them.' : 'Your user limits against your own recorded usage.'),
    );
  },
};
