// usageReport for the panels: the typed document, with the admin's user / key / team / tag filters.
import type { ResultOf, VariablesOf } from 'gql.tada';
import { UsageReportQuery } from '../documents.ts';
import { request } from '../graphql.ts';
import { tagFilter } from '../view-state.ts';
import type { PanelContext } from './context.ts';

export type ReportResult = ResultOf<typeof UsageReportQuery>['usageReport'];
type ReportInput = VariablesOf<typeof UsageReportQuery>['input'];
export type Dimension = ReportInput['groupBy'][number];

/** The admin's filters beyond the user (none for a user: the server scopes it to itself). */
function filters(ctx: PanelContext): Pick<ReportInput, 'apiKeyId' | 'teamId' | 'tags'> {
  if (!ctx.isAdmin) return {};
  const tags = tagFilter(ctx.state.tag);
  return {
    ...(ctx.state.key ? { apiKeyId: ctx.state.key } : {}),
    ...(ctx.state.team ? { teamId: ctx.state.team } : {}),
    ...(tags ? { tags } : {}),
  };
}

/** A UsageReportInput over the range (or the given one), scoped and filtered as the page is. */
export function reportInput(ctx: PanelContext, groupBy: Dimension[], range?: { from: Date; to: Date }): ReportInput {
  return {
    from: (range?.from ?? ctx.from).toISOString(),
    to: (range?.to ?? ctx.to).toISOString(),
    groupBy,
    ...ctx.scope,
    ...(range ? {} : filters(ctx)),
  };
}

export async function usageReport(ctx: PanelContext, groupBy: Dimension[], range?: { from: Date; to: Date }): Promise<ReportResult> {
  return (await request(UsageReportQuery, { input: reportInput(ctx, groupBy, range) }, ctx.apiKey)).usageReport;
}
