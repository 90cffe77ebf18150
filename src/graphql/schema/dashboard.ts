// GraphQL: the dashboard's reads beside usageReport (recentCalls, modelPerformance,
// conversationCosts). Same access rules as usageReport; one zod schema per input (the domain's).
import { CALL_STATUSES, conversationCostsInput, modelPerformanceInput, recentCallsInput } from '../../domain/reports/dashboard-schemas.ts';
import type { ConversationCost } from '../../domain/reports/conversation-costs.ts';
import type { ModelPerformance } from '../../domain/reports/model-performance.ts';
import type { CallRecord, CallRecordPage } from '../../domain/reports/recent-calls.ts';
import { parseInput } from '../../domain/validation.ts';
import { builder, principalOf } from '../builder.ts';
import { ReconcileStateEnum } from './reconciliation.ts';

export const CallStatusEnum = builder.enumType('CallStatus', { values: CALL_STATUSES });

const scopeFields = (t: Parameters<Parameters<typeof builder.inputType>[1]['fields']>[0]) => ({
  from: t.field({ type: 'DateTime', required: true }),
  to: t.field({ type: 'DateTime', required: true, description: 'Exclusive' }),
  userId: t.id({ required: false, description: "Admin only (a USER may name only itself; another user's id is NOT_FOUND)" }),
  allUsers: t.boolean({ required: false, description: 'Admin only (FORBIDDEN for a USER)' }),
});

const CallRecordRef = builder.objectRef<CallRecord>('CallRecord').implement({
  description: 'One ledger row: one upstream attempt',
  fields: (t) => ({
    id: t.exposeID('id'),
    callId: t.exposeID('callId'),
    attempt: t.exposeInt('attempt'),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    finishedAt: t.expose('finishedAt', { type: 'DateTime', nullable: true }),
    userId: t.exposeID('userId'),
    userEmail: t.exposeString('userEmail', { nullable: true }),
    apiKeyId: t.exposeID('apiKeyId', { nullable: true }),
    teamId: t.exposeID('teamId', { nullable: true }),
    tags: t.expose('tags', { type: 'JSON', nullable: true }),
    model: t.exposeString('model', { description: 'The requested model' }),
    servedModel: t.exposeString('servedModel', { nullable: true, description: 'The model that served the call (routing headers, else the requested one)' }),
    cacheHit: t.exposeBoolean('cacheHit', { description: "Answered from AI Gateway's cache: cost 0" }),
    api: t.exposeString('api'),
    gatewayId: t.exposeString('gatewayId'),
    status: t.field({ type: CallStatusEnum, resolve: (r) => r.status }),
    errorCode: t.exposeString('errorCode', { nullable: true }),
    streamed: t.exposeBoolean('streamed'),
    latencyMs: t.exposeInt('latencyMs'),
    timeToFirstTokenMs: t.exposeInt('timeToFirstTokenMs', { nullable: true }),
    inputTokens: t.exposeInt('inputTokens'),
    outputTokens: t.exposeInt('outputTokens'),
    cachedInputTokens: t.exposeInt('cachedInputTokens'),
    reasoningTokens: t.exposeInt('reasoningTokens'),
    totalTokens: t.exposeInt('totalTokens'),
    costUsd: t.exposeString('costUsd', { nullable: true, description: 'Decimal string; null when the model had no price' }),
    usageEstimated: t.exposeBoolean('usageEstimated'),
    reconciliation: t.field({ type: ReconcileStateEnum, resolve: (r) => r.reconciliation }),
    upstreamCostUsd: t.exposeString('upstreamCostUsd', { nullable: true }),
    conversationId: t.exposeID('conversationId', { nullable: true }),
  }),
});

const CallRecordPageRef = builder.objectRef<CallRecordPage>('CallRecordPage').implement({
  fields: (t) => ({
    rows: t.field({ type: [CallRecordRef], resolve: (p) => p.rows }),
    nextCursor: t.exposeString('nextCursor', { nullable: true, description: 'Pass as `after` for the next page; null on the last' }),
  }),
});

const RecentCallsInputRef = builder.inputType('RecentCallsInput', {
  fields: (t) => ({
    ...scopeFields(t),
    status: t.field({ type: [CallStatusEnum], required: false }),
    model: t.string({ required: false }),
    gatewayId: t.string({ required: false }),
    apiKeyId: t.id({ required: false }),
    teamId: t.id({ required: false }),
    minLatencyMs: t.int({ required: false }),
    maxLatencyMs: t.int({ required: false }),
    minTimeToFirstTokenMs: t.int({ required: false }),
    maxTimeToFirstTokenMs: t.int({ required: false }),
    minTotalTokens: t.int({ required: false }),
    maxTotalTokens: t.int({ required: false }),
    minCostUsd: t.string({ required: false, description: 'Decimal string' }),
    maxCostUsd: t.string({ required: false, description: 'Decimal string' }),
    estimated: t.boolean({ required: false, description: 'true: only rows with estimated usage; false: only reported usage' }),
    reconciliation: t.field({ type: [ReconcileStateEnum], required: false }),
    first: t.int({ required: false, description: 'Page size (1-500), default 50' }),
    after: t.string({ required: false, description: "The previous page's nextCursor" }),
  }),
});

const ModelPerformanceRef = builder.objectRef<ModelPerformance>('ModelPerformance').implement({
  description: 'Per requested model: exact error rate; p50/p95 latency (OK calls) and time to first token over the newest calls of the range (at most 5,000)',
  fields: (t) => ({
    model: t.exposeString('model'),
    requests: t.exposeFloat('requests', { description: 'Finished calls (every status but PENDING)' }),
    errors: t.exposeFloat('errors', { description: 'ERROR and INTERRUPTED calls' }),
    errorRate: t.exposeFloat('errorRate', { description: 'errors / requests, 0..1' }),
    sampledRequests: t.exposeFloat('sampledRequests', { description: 'How many of the newest calls of the range the percentiles are over (at most 5,000)' }),
    latencyP50Ms: t.exposeInt('latencyP50Ms', { nullable: true }),
    latencyP95Ms: t.exposeInt('latencyP95Ms', { nullable: true }),
    timeToFirstTokenP50Ms: t.exposeInt('timeToFirstTokenP50Ms', { nullable: true }),
    timeToFirstTokenP95Ms: t.exposeInt('timeToFirstTokenP95Ms', { nullable: true }),
  }),
});

const ModelPerformanceInputRef = builder.inputType('ModelPerformanceInput', {
  fields: (t) => ({ ...scopeFields(t), model: t.string({ required: false }), gatewayId: t.string({ required: false }) }),
});

const ConversationCostRef = builder.objectRef<ConversationCost>('ConversationCost').implement({
  description: "A conversation and what it cost over its whole life (the sum of its ledger rows)",
  fields: (t) => ({
    conversationId: t.exposeID('conversationId'),
    title: t.exposeString('title'),
    model: t.exposeString('model'),
    userId: t.exposeID('userId'),
    userEmail: t.exposeString('userEmail'),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
    requests: t.exposeFloat('requests'),
    totalTokens: t.exposeFloat('totalTokens'),
    costUsd: t.exposeString('costUsd', { nullable: true, description: 'Decimal string; null when no call was priced' }),
  }),
});

const ConversationCostsInputRef = builder.inputType('ConversationCostsInput', {
  fields: (t) => ({ ...scopeFields(t), first: t.int({ required: false, description: 'How many (1-200), default 20' }) }),
});

builder.queryFields((t) => ({
  recentCalls: t.field({
    type: CallRecordPageRef,
    description: 'Ledger rows, newest first, with filters (same access rules as usageReport)',
    args: { input: t.arg({ type: RecentCallsInputRef, required: true }) },
    resolve: (_root, args, ctx) => ctx.services.recentCalls.list(principalOf(ctx), parseInput(recentCallsInput, args.input)),
  }),
  modelPerformance: t.field({
    type: [ModelPerformanceRef],
    description: 'Error rate and latency / time-to-first-token percentiles per model (same access rules as usageReport)',
    args: { input: t.arg({ type: ModelPerformanceInputRef, required: true }) },
    resolve: (_root, args, ctx) => ctx.services.modelPerformance.byModel(principalOf(ctx), parseInput(modelPerformanceInput, args.input)),
  }),
  conversationCosts: t.field({
    type: [ConversationCostRef],
    description: 'Conversations active in the range, newest first, with their cost (same access rules as usageReport)',
    args: { input: t.arg({ type: ConversationCostsInputRef, required: true }) },
    resolve: (_root, args, ctx) => ctx.services.conversationCosts.list(principalOf(ctx), parseInput(conversationCostsInput, args.input)),
  }),
}));
