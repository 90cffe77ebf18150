// GraphQL: operators' controls. auditLog (admin), budget alerts (admin) and the budgetEvents
// subscription, purgeUserData (admin) and exportUserData.
import { budgetAlertIdInput, BUDGET_SCOPES, createBudgetAlertInput } from '../../domain/alerts/schemas.ts';
import type { BudgetAlertView, BudgetEventView } from '../../domain/alerts/views.ts';
import type { AuditEventPage, AuditEventView } from '../../domain/audit/audit-log.ts';
import { auditLogInput } from '../../domain/audit/schemas.ts';
import type { PurgeResult } from '../../domain/retention/retention-service.ts';
import { exportUserDataInput, purgeUserDataInput } from '../../domain/retention/schemas.ts';
import { parseInput } from '../../domain/validation.ts';
import { builder, principalOf } from '../builder.ts';

const AuditEventRef = builder.objectRef<AuditEventView>('AuditEvent').implement({
  description: 'One administrative or key-management act (append-only)',
  fields: (t) => ({
    id: t.exposeID('id'),
    at: t.field({ type: 'DateTime', resolve: (e) => e.at }),
    actorUserId: t.exposeID('actorUserId', { nullable: true, description: "Who acted (the bootstrap admin's id for ADMIN_API_KEY and the CLIs)" }),
    actorApiKeyId: t.exposeID('actorApiKeyId', { nullable: true, description: 'The key used; null for ADMIN_API_KEY and the CLIs' }),
    action: t.exposeString('action', { description: 'e.g. key.create, key.rotate, key.revoke, key.limits, user.create, team.limits, price.set, repricing.run, reconciliation.run, alert.create, purge, export' }),
    targetType: t.exposeString('targetType', { description: 'USER, API_KEY, TEAM, MODEL_PRICE, REPRICE_RUN, RECONCILE_RUN, BUDGET_ALERT or GATEWAY' }),
    targetId: t.exposeString('targetId', { nullable: true }),
    details: t.field({ type: 'JSON', nullable: true, description: 'What changed (never a secret)', resolve: (e) => e.details }),
    requestId: t.exposeString('requestId', { nullable: true, description: 'The x-request-id of the request that did it' }),
  }),
});

const AuditEventEdgeRef = builder.objectRef<AuditEventView>('AuditEventEdge').implement({
  fields: (t) => ({
    cursor: t.string({ resolve: (e, _args, ctx) => ctx.services.auditLog.cursorOf(e) }),
    node: t.field({ type: AuditEventRef, resolve: (e) => e }),
  }),
});

const AuditPageInfoRef = builder.objectRef<AuditEventPage>('AuditPageInfo').implement({
  fields: (t) => ({
    hasNextPage: t.exposeBoolean('hasNextPage'),
    endCursor: t.exposeString('endCursor', { nullable: true }),
  }),
});

const AuditEventConnectionRef = builder.objectRef<AuditEventPage>('AuditEventConnection').implement({
  fields: (t) => ({
    edges: t.field({ type: [AuditEventEdgeRef], resolve: (p) => p.nodes }),
    nodes: t.field({ type: [AuditEventRef], resolve: (p) => p.nodes }),
    pageInfo: t.field({ type: AuditPageInfoRef, resolve: (p) => p }),
  }),
});

const AuditLogInputRef = builder.inputType('AuditLogInput', {
  fields: (t) => ({
    from: t.field({ type: 'DateTime', required: false }),
    to: t.field({ type: 'DateTime', required: false, description: 'Exclusive' }),
    actorUserId: t.id({ required: false }),
    action: t.string({ required: false, description: 'An action (key.create) or a family (key)' }),
    first: t.int({ required: false, description: 'Page size (1-500), default 50' }),
    after: t.string({ required: false, description: "The previous page's pageInfo.endCursor" }),
  }),
});

export const BudgetScopeEnum = builder.enumType('BudgetScope', { values: BUDGET_SCOPES });
const LimitKindEnum = builder.enumType('BudgetLimitKind', { values: ['USD', 'TOKENS'] as const, description: 'USD: the monthly budget; TOKENS: the tokens-per-day limit' });

const BudgetAlertRef = builder.objectRef<BudgetAlertView>('BudgetAlert').implement({
  description: "A threshold on a user's, team's or API key's USD budget (per month) or token limit (per day)",
  fields: (t) => ({
    id: t.exposeID('id'),
    scope: t.field({ type: BudgetScopeEnum, resolve: (a) => a.scope }),
    subjectId: t.exposeID('subjectId'),
    thresholdPercent: t.exposeFloat('thresholdPercent'),
    webhookUrl: t.exposeString('webhookUrl', { nullable: true }),
    createdAt: t.field({ type: 'DateTime', resolve: (a) => a.createdAt }),
  }),
});

const BudgetEventRef = builder.objectRef<BudgetEventView>('BudgetEvent').implement({
  description: 'An alert that fired: at most one per alert, limit and period',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Also the x-switchboard-event-id of its webhook' }),
    alertId: t.exposeID('alertId'),
    scope: t.field({ type: BudgetScopeEnum, resolve: (e) => e.scope }),
    subjectId: t.exposeID('subjectId'),
    thresholdPercent: t.exposeFloat('thresholdPercent'),
    usedPercent: t.exposeFloat('usedPercent'),
    limit: t.exposeString('limit', { description: 'USD (decimal string) or tokens' }),
    used: t.exposeString('used', { description: 'USD (decimal string) or tokens, settled usage in the period' }),
    periodStart: t.field({ type: 'DateTime', description: 'The UTC month (USD) or day (TOKENS) it belongs to', resolve: (e) => e.periodStart }),
    at: t.field({ type: 'DateTime', resolve: (e) => e.at }),
    limitKind: t.field({ type: LimitKindEnum, resolve: (e) => e.limitKind }),
  }),
});

const CreateBudgetAlertInputRef = builder.inputType('CreateBudgetAlertInput', {
  fields: (t) => ({
    scope: t.field({ type: BudgetScopeEnum, required: true }),
    subjectId: t.id({ required: true, description: 'The user, team or API key' }),
    thresholdPercent: t.float({ required: true, description: 'Percent of the limit, e.g. 50 or 100' }),
    webhookUrl: t.string({ required: false, description: 'Where the event is POSTed (host in WEBHOOK_ALLOWED_HOSTS); absent: subscription only' }),
  }),
});

const PurgeResultRef = builder.objectRef<PurgeResult>('PurgeResult').implement({
  description: "A user's content erased; its ledger rows (tokens, costs, status) kept",
  fields: (t) => ({
    userId: t.exposeID('userId'),
    messagesErased: t.exposeInt('messagesErased'),
    conversationsErased: t.exposeInt('conversationsErased'),
    usageRecordsKept: t.exposeInt('usageRecordsKept', { description: 'Ledger rows of the user, all kept with contentPurgedAt set' }),
    keysRevoked: t.exposeInt('keysRevoked'),
    purgedAt: t.field({ type: 'DateTime', resolve: (r) => r.purgedAt }),
  }),
});

builder.queryFields((t) => ({
  auditLog: t.field({
    type: AuditEventConnectionRef,
    description: 'Admin: every administrative or key-management act, newest first',
    args: { input: t.arg({ type: AuditLogInputRef, required: false }) },
    resolve: (_root, args, ctx) => ctx.services.auditLog.auditLog(principalOf(ctx), parseInput(auditLogInput, args.input ?? {})),
  }),
  budgetAlerts: t.field({
    type: [BudgetAlertRef],
    description: 'Admin: the budget alerts',
    resolve: (_root, _args, ctx) => ctx.services.budgetAlerts.list(principalOf(ctx)),
  }),
  exportUserData: t.field({
    type: 'JSON',
    description: "Everything stored about a user (the caller by default; admins may name anyone); keys without secrets. Audited.",
    args: { userId: t.arg.id() },
    resolve: (_root, args, ctx) => ctx.services.retention.exportUserData(principalOf(ctx), parseInput(exportUserDataInput, args).userId),
  }),
}));

builder.mutationFields((t) => ({
  createBudgetAlert: t.field({
    type: BudgetAlertRef,
    description: 'Admin only',
    args: { input: t.arg({ type: CreateBudgetAlertInputRef, required: true }) },
    resolve: (_root, args, ctx) => ctx.services.budgetAlerts.create(principalOf(ctx), parseInput(createBudgetAlertInput, args.input)),
  }),
  deleteBudgetAlert: t.boolean({
    description: 'Admin only; the alert stops firing, its events stay',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => ctx.services.budgetAlerts.remove(principalOf(ctx), parseInput(budgetAlertIdInput, args).id),
  }),
  purgeUserData: t.field({
    type: PurgeResultRef,
    description: "Admin: erase a user's content now (messages, system prompts, tool content, images), revoke its keys; the accounting stays",
    args: { userId: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => ctx.services.retention.purgeUserData(principalOf(ctx), parseInput(purgeUserDataInput, args).userId),
  }),
}));

builder.subscriptionField('budgetEvents', (t) =>
  t.field({
    type: BudgetEventRef,
    description: 'Budget alerts as they fire: admins see all, users their own (themselves, their keys, their team)',
    subscribe: (_root, _args, ctx) => ctx.services.budgetEvents.subscribe(principalOf(ctx), ctx.signal),
    resolve: (event: BudgetEventView) => event,
  }),
);
