// usageReport's input for the panels: the range, the scope and the admin's key / team / tag filters.
import type { VariablesOf } from 'gql.tada';
import type { DailyReportQuery } from '../documents.ts';
import { tagFilter } from '../view-state.ts';
import type { PanelContext } from './context.ts';

type ReportInput = VariablesOf<typeof DailyReportQuery>['input'];
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

/** A UsageReportInput over the page's range, scoped and filtered as the page is. */
export function reportInput(ctx: PanelContext, groupBy: Dimension[]): ReportInput {
  return { from: ctx.from.toISOString(), to: ctx.to.toISOString(), groupBy, ...ctx.scope, ...filters(ctx) };
}
