// The range's usage by day and by the chart's grouping: it draws the usage chart, and its totals
// (the report's totals: the same sums as an ungrouped usageReport) fill the totals panel, so the
// two panels cost one request when they load together.
import type { PanelContext } from './context.ts';
import { usageReport, type ReportResult } from './report.ts';

export function dailyReport(ctx: PanelContext): Promise<ReportResult> {
  return ctx.once(`daily-${ctx.state.stack}`, () => usageReport(ctx, ['DAY', ctx.state.stack]));
}
