// usageReport for the panels: the typed document, plus the admin's key / team / tag filters
// when set (fields the teams work adds to UsageReportInput; see pending-documents.ts).
import { print } from '@0no-co/graphql.web';
import type { ResultOf, TadaDocumentNode, VariablesOf } from 'gql.tada';
import { UsageReportQuery } from '../documents.ts';
import { request, requestPending } from '../graphql.ts';
import { tagFilter } from '../view-state.ts';
import type { PanelContext } from './context.ts';

export type ReportResult = ResultOf<typeof UsageReportQuery>['usageReport'];
type Dimension = VariablesOf<typeof UsageReportQuery>['input']['groupBy'][number];

export function reportInput(ctx: PanelContext, groupBy: Dimension[], range?: { from: Date; to: Date }) {
  return {
    from: (range?.from ?? ctx.from).toISOString(),
    to: (range?.to ?? ctx.to).toISOString(),
    groupBy,
    ...ctx.scope,
  };
}

/** The admin's filters beyond the typed input (null when none is set or the caller is a user). */
export function pendingFilters(ctx: PanelContext): Record<string, unknown> | null {
  if (!ctx.isAdmin) return null;
  const extra: Record<string, unknown> = {};
  if (ctx.state.key) extra.apiKeyId = ctx.state.key;
  if (ctx.state.team) extra.teamId = ctx.state.team;
  const tags = tagFilter(ctx.state.tag);
  if (tags) extra.tags = tags;
  return Object.keys(extra).length ? extra : null;
}

/** Runs a typed document whose UsageReportInput variables (named in inputs) take the admin's extra filters. */
export async function withFilters<Result, Variables extends Record<string, unknown>>(
  ctx: PanelContext,
  document: TadaDocumentNode<Result, Variables>,
  variables: Variables,
  inputs: Array<keyof Variables & string>,
): Promise<Result> {
  const extra = pendingFilters(ctx);
  if (!extra) return request(document, variables, ctx.apiKey);
  const merged: Record<string, unknown> = { ...variables };
  for (const name of inputs) merged[name] = { ...(variables[name] as object), ...extra };
  return requestPending<Result>(print(document), merged, ctx.apiKey);
}

export async function usageReport(ctx: PanelContext, groupBy: Dimension[], range?: { from: Date; to: Date }): Promise<ReportResult> {
  const input = reportInput(ctx, groupBy, range);
  const extra = range ? null : pendingFilters(ctx);
  if (!extra) return (await request(UsageReportQuery, { input }, ctx.apiKey)).usageReport;
  return (await requestPending<ResultOf<typeof UsageReportQuery>>(print(UsageReportQuery), { input: { ...input, ...extra } }, ctx.apiKey)).usageReport;
}
