// Error rate and latency by model: p50/p95 latency (OK calls) and time to first token.
import { fill, h } from '../dom.ts';
import { ModelPerformanceQuery } from '../documents.ts';
import { formatInt, formatMs, formatPercent } from '../format.ts';
import { request } from '../graphql.ts';
import { dataTable } from '../table.ts';
import type { Panel } from './context.ts';
import { unappliedFilters } from './unapplied-filters.ts';

export const performancePanel: Panel = {
  id: 'performance',
  title: 'Errors and latency by model',
  async load(ctx, body) {
    const input = { from: ctx.from.toISOString(), to: ctx.to.toISOString(), ...ctx.scope };
    const { modelPerformance: rows } = await request(ModelPerformanceQuery, { input }, ctx.apiKey);
    const ms = (n: number | null | undefined) => (n === null || n === undefined ? '' : String(n));
    fill(
      body,
      unappliedFilters(ctx, 'performance'),
      dataTable({
        id: 'performance',
        caption: 'Errors and latency by model',
        rows,
        empty: 'No calls in this range.',
        csvName: 'switchboard-performance.csv',
        columns: [
          { label: 'Model', text: (r) => r.model },
          { label: 'Requests', text: (r) => formatInt(r.requests), raw: (r) => String(r.requests), numeric: true },
          { label: 'Errors', text: (r) => `${formatInt(r.errors)} (${formatPercent(r.errorRate)})`, raw: (r) => String(r.errors), numeric: true },
          { label: 'Latency p50', text: (r) => formatMs(r.latencyP50Ms), raw: (r) => ms(r.latencyP50Ms), numeric: true },
          { label: 'Latency p95', text: (r) => formatMs(r.latencyP95Ms), raw: (r) => ms(r.latencyP95Ms), numeric: true },
          { label: 'TTFT p50', text: (r) => formatMs(r.timeToFirstTokenP50Ms), raw: (r) => ms(r.timeToFirstTokenP50Ms), numeric: true },
          { label: 'TTFT p95', text: (r) => formatMs(r.timeToFirstTokenP95Ms), raw: (r) => ms(r.timeToFirstTokenP95Ms), numeric: true },
          { label: 'Percentiles over', text: (r) => `${formatInt(r.sampledRequests)} call${r.sampledRequests === 1 ? '' : 's'}`, raw: (r) => String(r.sampledRequests), numeric: true },
        ],
      }),
      rows.length ? h('p', { class: 'panel-sub' }, 'Requests and errors count every finished call of the range; the percentiles are over its newest calls (up to 5,000).') : null,
    );
  },
};
