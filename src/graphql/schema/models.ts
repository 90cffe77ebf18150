// GraphQL: models, setModelPrice, repriceUsage.
import type { ModelView, RepriceResult } from '../../domain/usage/pricing-service.ts';
import type { PriceVersion } from '../../domain/usage/pricing.ts';
import { repriceUsageInput, setModelPriceInput } from '../../domain/usage/schemas.ts';
import { parseInput } from '../../domain/validation.ts';
import { builder, principalOf } from '../builder.ts';
import { UpstreamApiEnum } from './generation.ts';

const ModelPriceRef = builder.objectRef<PriceVersion>('ModelPrice').implement({
  description: 'One version of a model price: USD per million tokens (decimal strings). Null cache/reasoning prices fall back to the input/output price.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'The price version id recorded with each usage record' }),
    model: t.exposeString('model'),
    version: t.exposeInt('version'),
    effectiveFrom: t.field({ type: 'DateTime', resolve: (p) => p.effectiveFrom }),
    inputPerMTok: t.exposeString('inputPerMTok', { description: 'Uncached input' }),
    outputPerMTok: t.exposeString('outputPerMTok', { description: 'Output other than reasoning' }),
    cachedInputPerMTok: t.exposeString('cachedInputPerMTok', { nullable: true, description: 'Input read from the cache' }),
    cacheWritePerMTok: t.exposeString('cacheWritePerMTok', { nullable: true, description: 'Input written to the cache' }),
    reasoningPerMTok: t.exposeString('reasoningPerMTok', { nullable: true, description: 'Reasoning output' }),
    perThousandNeurons: t.string({ nullable: true, description: 'USD per 1,000 neurons (Workers AI); null: priced per token', resolve: (p) => p.perThousandNeurons ?? null }),
    source: t.exposeString('source'),
    createdBy: t.exposeID('createdBy', { nullable: true }),
    createdAt: t.field({ type: 'DateTime', resolve: (p) => p.createdAt }),
  }),
});

const ModelRef = builder.objectRef<ModelView>('Model').implement({
  fields: (t) => ({
    id: t.exposeID('id', { description: 'e.g. "openai/gpt-5.5", "@cf/moonshotai/kimi-k2.6"' }),
    provider: t.exposeString('provider'),
    api: t.field({ type: UpstreamApiEnum, description: 'The upstream API calls use unless forced', resolve: (m) => m.api }),
    prices: t.field({ type: ModelPriceRef, nullable: true, description: 'The price version in force now; null = no price (calls get a null cost)', resolve: (m) => m.price }),
    priceVersions: t.field({ type: [ModelPriceRef], description: 'Every price version, newest first', resolve: (m) => m.priceVersions }),
  }),
});

const RepriceResultRef = builder.objectRef<RepriceResult>('RepriceResult').implement({
  fields: (t) => ({
    id: t.exposeID('id', { description: 'The audit record of this run' }),
    priceVersion: t.field({ type: ModelPriceRef, resolve: (r) => r.priceVersion }),
    from: t.field({ type: 'DateTime', resolve: (r) => r.from }),
    to: t.field({ type: 'DateTime', resolve: (r) => r.to }),
    rowsRepriced: t.exposeInt('rowsRepriced'),
    previousCostUsd: t.exposeString('previousCostUsd', { nullable: true }),
    newCostUsd: t.exposeString('newCostUsd', { nullable: true }),
    byUserId: t.exposeID('byUserId'),
    createdAt: t.field({ type: 'DateTime', resolve: (r) => r.createdAt }),
  }),
});

const SetModelPriceInputRef = builder.inputType('SetModelPriceInput', {
  fields: (t) => ({
    model: t.string({ required: true }),
    inputPerMTok: t.string({ required: true, description: 'USD per million tokens, decimal string' }),
    outputPerMTok: t.string({ required: true }),
    cachedInputPerMTok: t.string({ required: false }),
    cacheWritePerMTok: t.string({ required: false }),
    reasoningPerMTok: t.string({ required: false }),
    perThousandNeurons: t.string({ required: false, description: 'USD per 1,000 neurons (Workers AI): when set, a reply reporting cf-ai-neurons costs neurons x this / 1000' }),
    effectiveFrom: t.field({ type: 'DateTime', required: false, description: 'Default: now' }),
    source: t.string({ required: false, description: 'Where the figures come from' }),
  }),
});

const RepriceUsageInputRef = builder.inputType('RepriceUsageInput', {
  fields: (t) => ({
    priceVersionId: t.id({ required: true }),
    from: t.field({ type: 'DateTime', required: true }),
    to: t.field({ type: 'DateTime', required: true, description: 'Exclusive' }),
  }),
});

builder.queryField('models', (t) =>
  t.field({
    type: [ModelRef],
    description: 'Known models: provider, the upstream API used, current prices',
    resolve: (_root, _args, ctx) => {
      principalOf(ctx);
      return ctx.services.pricing.models();
    },
  }),
);

builder.mutationFields((t) => ({
  setModelPrice: t.field({
    type: ModelPriceRef,
    description: 'Admin: adds a new price version',
    args: { input: t.arg({ type: SetModelPriceInputRef, required: true }) },
    resolve: (_root, args, ctx) => ctx.services.pricing.setModelPrice(principalOf(ctx), parseInput(setModelPriceInput, args.input)),
  }),
  repriceUsage: t.field({
    type: RepriceResultRef,
    description: "Admin: re-cost the version's model's usage in [from, to) with that version (audited)",
    args: { input: t.arg({ type: RepriceUsageInputRef, required: true }) },
    resolve: (_root, args, ctx) => ctx.services.pricing.repriceUsage(principalOf(ctx), parseInput(repriceUsageInput, args.input)),
  }),
}));
