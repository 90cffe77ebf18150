// The range's usage by day and by the chart's grouping: it draws the usage chart, and its totals
// (the report's totals: the same sums as an ungrouped usageReport) fill the totals panel, so the
// two panels cost one request when they load together.
import type { ResultOf } from 'gql.tada';
import { DailyReportQuery } from '../documents.ts';
import { request } from '../graphql.ts';
import type { PanelContext } from './context.ts';
import { reportInput } from './report.ts';

export type DailyReport = ResultOf<typeof DailyReportQuery>['usageReport'];

export function dailyReport(ctx: PanelContext): Promise<DailyReport> {
  return ctx.once(`daily-${ctx.state.stack}`, async () => (await request(DailyReportQuery, { input: reportInput(ctx, ['DAY', ctx.state.stack]) }, ctx.apiKey)).usageReport);
}
