// GraphQL: usageReport.
import type { UsageReport, UsageReportRow, UsageTotals } from '../../domain/reports/usage-report.ts';
import { USAGE_DIMENSIONS, usageReportInput } from '../../domain/reports/schemas.ts';
import { parseInput } from '../../domain/validation.ts';
import { builder, principalOf } from '../builder.ts';

const UsageDimensionEnum = builder.enumType('UsageDimension', { values: USAGE_DIMENSIONS });

const COUNT = 'Integer sum (Float because it may exceed 2^31; exact up to 2^53)';

const UsageSumsRef = builder.interfaceRef<UsageTotals>('UsageSums').implement({
  description: 'The sums of a group of usage records',
  fields: (t) => ({
    requests: t.exposeFloat('requests', { description: COUNT }),
    inputTokens: t.exposeFloat('inputTokens', { description: `${COUNT}. Uncached input (excludes cachedInputTokens and cacheWriteTokens)` }),
    outputTokens: t.exposeFloat('outputTokens', { description: `${COUNT}. All output, reasoning included` }),
    cachedInputTokens: t.exposeFloat('cachedInputTokens', { description: COUNT }),
    cacheWriteTokens: t.exposeFloat('cacheWriteTokens', { description: COUNT }),
    reasoningTokens: t.exposeFloat('reasoningTokens', { description: `${COUNT}. Part of outputTokens` }),
    totalTokens: t.exposeFloat('totalTokens', { description: COUNT }),
    estimatedRequests: t.exposeFloat('estimatedRequests', { description: `${COUNT}. Requests whose usage is estimated (the upstream reported none); also in requests` }),
    costUsd: t.exposeString('costUsd', { nullable: true, description: 'Decimal string: sum of the priced calls; null when none had a price' }),
    unpricedRequests: t.exposeFloat('unpricedRequests', { description: `${COUNT}. OK calls whose model had no price (their cost is null, not zero)` }),
    images: t.exposeFloat('images', { description: `${COUNT}. Images generated` }),
    imageTiles: t.exposeFloat('imageTiles', { description: `${COUNT}. Billed 512x512 image tiles` }),
    imageSteps: t.exposeFloat('imageSteps', { description: `${COUNT}. Billed image steps` }),
    audioSeconds: t.exposeFloat('audioSeconds', { description: 'Billed audio seconds (transcribed input, generated speech)' }),
    characters: t.exposeFloat('characters', { description: `${COUNT}. Billed speech input characters` }),
    cacheHits: t.exposeFloat('cacheHits', { description: `${COUNT}. Calls answered from AI Gateway's cache (cost 0)` }),
    cacheSavedUsd: t.exposeString('cacheSavedUsd', { nullable: true, description: "Decimal string: what the cache hits would have cost at their served model's price (an unpriced hit counts 0); null when there was no hit" }),
  }),
});

const UsageTotalsRef = builder.objectRef<UsageTotals>('UsageTotals').implement({ interfaces: [UsageSumsRef], fields: () => ({}) });

const UsageRowRef = builder.objectRef<UsageReportRow>('UsageRow').implement({
  interfaces: [UsageSumsRef],
  description: 'One group: the grouped dimensions (null when not grouped by them) and the sums',
  fields: (t) => ({
    day: t.exposeString('day', { nullable: true, description: 'UTC day, YYYY-MM-DD' }),
    model: t.exposeString('model', { nullable: true, description: 'MODEL: the model that served the calls' }),
    requestedModel: t.exposeString('requestedModel', { nullable: true, description: 'REQUESTED_MODEL: the model the caller named (dynamic/<route>, cloudflare/auto, or a model id)' }),
    gatewayId: t.exposeString('gatewayId', { nullable: true }),
    userId: t.exposeID('userId', { nullable: true }),
    gateway: t.exposeString('gatewayId', { nullable: true, description: 'Same as gatewayId' }),
    user: t.exposeID('userId', { nullable: true, description: 'Same as userId' }),
    api: t.exposeString('api', { nullable: true }),
    status: t.exposeString('status', { nullable: true }),
    apiKeyId: t.exposeID('apiKeyId', { nullable: true }),
    teamId: t.exposeID('teamId', { nullable: true }),
    tagKey: t.exposeString('tagKey', { nullable: true, description: 'TAG: the tag key (null: the calls without tags)' }),
    tagValue: t.exposeString('tagValue', { nullable: true, description: 'TAG: the tag value, as text' }),
    userEmail: t.exposeString('userEmail', { nullable: true, description: "USER: the user's email" }),
    apiKeyName: t.exposeString('apiKeyName', { nullable: true, description: "API_KEY: the key's name (null for calls made without a stored key)" }),
    teamName: t.exposeString('teamName', { nullable: true, description: "TEAM: the team's name" }),
    surface: t.exposeString('surface', { nullable: true, description: 'SURFACE: the API surface (GRAPHQL, TRPC, OPENAI, ANTHROPIC)' }),
    modality: t.exposeString('modality', { nullable: true, description: 'MODALITY: TEXT, EMBEDDING, IMAGE, TRANSCRIPTION or SPEECH' }),
  }),
});

const UsageReportRef = builder.objectRef<UsageReport>('UsageReport').implement({
  fields: (t) => ({
    rows: t.field({ type: [UsageRowRef], resolve: (r) => r.rows }),
    totals: t.field({ type: UsageTotalsRef, resolve: (r) => r.totals }),
  }),
});

const UsageReportInputRef = builder.inputType('UsageReportInput', {
  fields: (t) => ({
    from: t.field({ type: 'DateTime', required: true }),
    to: t.field({ type: 'DateTime', required: true, description: 'Exclusive' }),
    groupBy: t.field({ type: [UsageDimensionEnum], required: true, description: 'Empty: totals only' }),
    userId: t.id({ required: false, description: "Admin only (a USER may name only itself; another user's id is NOT_FOUND)" }),
    allUsers: t.boolean({ required: false, description: 'Admin only (FORBIDDEN for a USER)' }),
    model: t.string({ required: false, description: 'Only calls served by, or requested as, this model' }),
    gatewayId: t.string({ required: false }),
    apiKeyId: t.id({ required: false, description: 'Only calls made with this API key' }),
    teamId: t.id({ required: false, description: "Only calls attributed to this team (its members' calls while they were members)" }),
    tags: t.field({ type: 'JSON', required: false, description: 'Only calls whose metadata holds every one of these entries, e.g. {"app": "billing"}' }),
  }),
});

builder.queryField('usageReport', (t) =>
  t.field({
    type: UsageReportRef,
    args: { input: t.arg({ type: UsageReportInputRef, required: true }) },
    resolve: (_root, args, ctx) => ctx.services.usage.report(principalOf(ctx), parseInput(usageReportInput, args.input)),
  }),
);
