// GraphQL: reconcileUsage (admin), reconciliation, and the reconciliation fields of Generation.
import type { ReconcileRunView, ReconciliationReport, ReconciliationStateSum } from '../../domain/reconciliation/reconciliation-service.ts';
import { RECONCILE_STATES } from '../../domain/reconciliation/reconciliation-service.ts';
import { reconcileUsageInput, reconciliationReportInput } from '../../domain/reconciliation/schemas.ts';
import { parseInput } from '../../domain/validation.ts';
import { builder, principalOf } from '../builder.ts';
import { GenerationRef } from './generation.ts';

export const ReconcileStateEnum = builder.enumType('ReconcileState', {
  values: RECONCILE_STATES,
  description: "A ledger row checked against Cloudflare's log: MISSING_UPSTREAM = our row, no log; MISSING_LOCAL = a log with no row",
});
const ReconcileRunStatusEnum = builder.enumType('ReconcileRunStatus', { values: ['OK', 'FAILED', 'RUNNING'] as const });

builder.objectFields(GenerationRef, (t) => ({
  reconciliation: t.field({ type: ReconcileStateEnum, resolve: (g) => g.reconciliation }),
  upstreamCostUsd: t.exposeString('upstreamCostUsd', { nullable: true, description: "Cloudflare's cost estimate from its log (decimal string)" }),
  upstreamTokensIn: t.exposeInt('upstreamTokensIn', { nullable: true, description: "Cloudflare's tokens_in" }),
  upstreamTokensOut: t.exposeInt('upstreamTokensOut', { nullable: true, description: "Cloudflare's tokens_out" }),
}));

const ReconcileRunRef = builder.objectRef<ReconcileRunView>('ReconcileRun').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    gatewayId: t.exposeString('gatewayId'),
    from: t.field({ type: 'DateTime', resolve: (r) => r.from }),
    to: t.field({ type: 'DateTime', description: 'Exclusive; cut to now - RECONCILE_LAG_MS', resolve: (r) => r.to }),
    status: t.field({ type: ReconcileRunStatusEnum, resolve: (r) => r.status }),
    error: t.exposeString('error', { nullable: true, description: 'Why the run failed' }),
    startedAt: t.field({ type: 'DateTime', resolve: (r) => r.startedAt }),
    finishedAt: t.field({ type: 'DateTime', nullable: true, resolve: (r) => r.finishedAt }),
    logsRead: t.exposeInt('logsRead'),
    matched: t.exposeInt('matched'),
    drift: t.exposeInt('drift'),
    missingUpstream: t.exposeInt('missingUpstream'),
    missingLocal: t.exposeInt('missingLocal'),
    driftUsd: t.exposeString('driftUsd', { nullable: true }),
  }),
});

const StateSumRef = builder.objectRef<ReconciliationStateSum>('ReconciliationStateSum').implement({
  fields: (t) => ({
    state: t.field({ type: ReconcileStateEnum, resolve: (s) => s.state }),
    requests: t.exposeInt('requests'),
    costUsd: t.exposeString('costUsd', { nullable: true, description: 'Our cost (decimal string)' }),
    upstreamCostUsd: t.exposeString('upstreamCostUsd', { nullable: true, description: "Cloudflare's cost (decimal string)" }),
  }),
});

const ReportRef = builder.objectRef<ReconciliationReport>('ReconciliationReport').implement({
  fields: (t) => ({
    byState: t.field({ type: [StateSumRef], resolve: (r) => r.byState }),
    driftUsd: t.exposeString('driftUsd', { description: "Σ (Cloudflare's cost - ours) over DRIFT rows" }),
    lastRunAt: t.field({ type: 'DateTime', nullable: true, resolve: (r) => r.lastRunAt }),
    lastRun: t.field({ type: ReconcileRunRef, nullable: true, resolve: (r) => r.lastRun }),
  }),
});

const ReconcileUsageInputRef = builder.inputType('ReconcileUsageInput', {
  fields: (t) => ({
    from: t.field({ type: 'DateTime', required: true }),
    to: t.field({ type: 'DateTime', required: true, description: 'Exclusive' }),
    gatewayId: t.string({ required: false, description: 'Default: DEFAULT_GATEWAY_ID' }),
  }),
});

const ReconciliationInputRef = builder.inputType('ReconciliationReportInput', {
  fields: (t) => ({
    from: t.field({ type: 'DateTime', required: true }),
    to: t.field({ type: 'DateTime', required: true, description: 'Exclusive' }),
    gatewayId: t.string({ required: false }),
    userId: t.id({ required: false, description: 'Admin only' }),
    allUsers: t.boolean({ required: false, description: 'Admin only; MISSING_LOCAL logs show only here' }),
  }),
});

builder.queryField('reconciliation', (t) =>
  t.field({
    type: ReportRef,
    args: { input: t.arg({ type: ReconciliationInputRef, required: true }) },
    resolve: (_root, args, ctx) => ctx.services.reconciliation.report(principalOf(ctx), parseInput(reconciliationReportInput, args.input)),
  }),
);

builder.mutationField('reconcileUsage', (t) =>
  t.field({
    type: ReconcileRunRef,
    description: "Admin: match the range's ledger rows to Cloudflare's logs; finishes before it returns (a failure is status FAILED)",
    args: { input: t.arg({ type: ReconcileUsageInputRef, required: true }) },
    resolve: (_root, args, ctx) => ctx.services.reconciliation.reconcileUsage(principalOf(ctx), parseInput(reconcileUsageInput, args.input)),
  }),
);
