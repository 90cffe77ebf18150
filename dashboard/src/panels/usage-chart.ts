// Spend, tokens or requests per UTC day over the range, stacked by model, API, gateway, team or surface,
// with the same numbers as a table (for screen readers and the CSV).
import type { StackedBars } from '../chart.ts';
import { fill, h } from '../dom.ts';
import { formatCompact, formatInt, formatUsd } from '../format.ts';
import { dataTable } from '../table.ts';
import type { Metric, Stack } from '../view-state.ts';
import type { Panel, PanelContext } from './context.ts';
import { dailyReport } from './daily-report.ts';

/** Chart.js is most of the page's JavaScript: it loads beside the first data requests instead of before them. */
const charts = import('../chart.ts');

const MAX_SERIES = 8;
const STACK_LABEL: Record<Stack, string> = { MODEL: 'model', API: 'API', GATEWAY: 'gateway', TEAM: 'team', SURFACE: 'surface' };
const METRIC_LABEL: Record<Metric, string> = { cost: 'Spend (USD)', tokens: 'Tokens', requests: 'Requests' };

interface DayRow {
  day: string;
  group: string;
  requests: number;
  totalTokens: number;
  costUsd: string | null;
}

const valueOf = (r: DayRow, metric: Metric): number => (metric === 'cost' ? Number(r.costUsd ?? 0) : metric === 'tokens' ? r.totalTokens : r.requests);

async function rowsFor(ctx: PanelContext): Promise<DayRow[]> {
  const stack = ctx.state.stack;
  const report = await dailyReport(ctx);
  return report.rows.map((r) => ({
    day: r.day ?? '',
    // Teams by name (unique); calls outside any team as "no team".
    group: (stack === 'MODEL' ? r.model : stack === 'API' ? r.api : stack === 'SURFACE' ? r.surface : stack === 'TEAM' ? (r.teamId === null ? 'no team' : (r.teamName ?? r.teamId)) : r.gatewayId) ?? '—',
    requests: r.requests,
    totalTokens: r.totalTokens,
    costUsd: r.costUsd ?? null,
  }));
}

export function createUsageChartPanel(): Panel {
  let chart: StackedBars | undefined;
  let canvas: HTMLCanvasElement | undefined;
  let wrap: HTMLElement | undefined;
  return {
    id: 'usage',
    title: 'Usage per day',
    async load(ctx, body) {
      const { metric, stack } = ctx.state;
      const rows = await rowsFor(ctx);
      // Series: the largest groups over the range, the rest as "other".
      const totals = new Map<string, number>();
      for (const r of rows) totals.set(r.group, (totals.get(r.group) ?? 0) + valueOf(r, metric) + 1e-12 * r.requests);
      const ranked = [...totals.entries()].sort((a, b) => b[1] - a[1]).map(([g]) => g);
      const shown = ranked.length > MAX_SERIES ? ranked.slice(0, MAX_SERIES - 1) : ranked;
      const other = ranked.length > shown.length ? 'other' : null;
      const dayIndex = new Map(ctx.days.map((d, i) => [d, i]));
      const seriesOf = new Map<string, number[]>([...shown, ...(other ? [other] : [])].map((g) => [g, ctx.days.map(() => 0)]));
      for (const r of rows) {
        const i = dayIndex.get(r.day);
        const values = seriesOf.get(shown.includes(r.group) ? r.group : (other ?? r.group));
        if (i !== undefined && values) values[i] = values[i]! + valueOf(r, metric);
      }
      const format = metric === 'cost' ? (n: number) => formatUsd(String(n)) : formatCompact;
      const heading = `${METRIC_LABEL[metric]} per day by ${STACK_LABEL[stack]}`;
      const table = dataTable<DayRow>({
        id: 'usage',
        caption: `${heading}, one row per day and ${STACK_LABEL[stack]}`,
        rows,
        empty: 'No usage in this range.',
        csvName: `switchboard-usage-${ctx.days[0]}-${ctx.days[ctx.days.length - 1]}-by-${stack.toLowerCase()}.csv`,
        columns: [
          { label: 'Day (UTC)', text: (r) => r.day },
          { label: STACK_LABEL[stack][0]!.toUpperCase() + STACK_LABEL[stack].slice(1), text: (r) => r.group },
          { label: 'Requests', text: (r) => formatInt(r.requests), raw: (r) => String(r.requests), numeric: true },
          { label: 'Tokens', text: (r) => formatInt(r.totalTokens), raw: (r) => String(r.totalTokens), numeric: true },
          { label: 'Spend (USD)', text: (r) => formatUsd(r.costUsd), raw: (r) => r.costUsd ?? '', numeric: true },
        ],
      });
      if (rows.length === 0) {
        fill(body, h('p', { class: 'empty', 'data-testid': 'usage-empty' }, 'No usage in this range.'));
        chart?.destroy();
        chart = undefined;
        canvas = undefined;
        wrap = undefined;
        return;
      }
      canvas ??= h('canvas', { role: 'img', 'data-testid': 'usage-chart' });
      canvas.setAttribute('aria-label', `${heading}, ${ctx.days.length} days; the table below holds the same numbers`);
      wrap ??= h('div', { class: 'chart-wrap' }, canvas);
      fill(body, h('p', { class: 'panel-sub', 'data-testid': 'usage-heading' }, heading), wrap, h('details', {}, h('summary', {}, 'Show the numbers as a table'), table));
      chart ??= new (await charts).StackedBars(canvas);
      chart.draw(ctx.days, [...seriesOf.entries()].map(([label, values]) => ({ label, values })), format);
    },
  };
}
