// GraphQL: users, API keys, me.
import type { ApiKeyView, CreatedApiKey } from '../../domain/access/access-service.ts';
import { createApiKeyInput, createUserInput, idInput, keyOwnerInput } from '../../domain/access/schemas.ts';
import type { UserLimits, UserView } from '../../domain/access/user-view.ts';
import { parseInput } from '../../domain/validation.ts';
import { builder, principalOf } from '../builder.ts';
import { LimitsInputRef as KeyLimitsInputRef, LimitsRef as KeyLimitsRef } from './limits.ts';

export const RoleEnum = builder.enumType('Role', { values: ['USER', 'ADMIN'] as const });

export const UserLimitsRef = builder.objectRef<UserLimits>('UserLimits').implement({
  description: 'Per-user limits; null means no limit',
  fields: (t) => ({
    requestsPerMinute: t.exposeInt('requestsPerMinute', { nullable: true }),
    tokensPerDay: t.exposeInt('tokensPerDay', { nullable: true }),
    monthlyBudgetUsd: t.exposeString('monthlyBudgetUsd', { nullable: true, description: 'USD, decimal string' }),
  }),
});

export const UserRef = builder.objectRef<UserView>('User').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    email: t.exposeString('email'),
    role: t.field({ type: RoleEnum, resolve: (u) => u.role }),
    defaultGatewayId: t.exposeString('defaultGatewayId', { nullable: true }),
    limits: t.field({ type: UserLimitsRef, resolve: (u) => u.limits }),
    createdAt: t.field({ type: 'DateTime', resolve: (u) => u.createdAt }),
  }),
});

export const ApiKeyRef = builder.objectRef<ApiKeyView>('ApiKey').implement({
  description: 'An API key, without its secret (shown once, when created or rotated)',
  fields: (t) => ({
    id: t.exposeID('id'),
    userId: t.exposeID('userId'),
    name: t.exposeString('name'),
    prefix: t.exposeString('prefix', { description: 'The public part of the key' }),
    createdAt: t.field({ type: 'DateTime', resolve: (k) => k.createdAt }),
    lastUsedAt: t.field({ type: 'DateTime', nullable: true, description: 'Within a minute', resolve: (k) => k.lastUsedAt }),
    revokedAt: t.field({ type: 'DateTime', nullable: true, resolve: (k) => k.revokedAt }),
    expiresAt: t.field({ type: 'DateTime', nullable: true, resolve: (k) => k.expiresAt }),
    rotatedAt: t.field({ type: 'DateTime', nullable: true, resolve: (k) => k.rotatedAt }),
    limits: t.field({ type: KeyLimitsRef, description: "The key's own limits (the user's and team's apply too)", resolve: (k) => k.limits }),
    allowedModels: t.exposeStringList('allowedModels', { description: 'Models the key may call; empty: any' }),
  }),
});

const CreatedApiKeyRef = builder.objectRef<CreatedApiKey>('CreatedApiKey').implement({
  description: 'A new key. `secret` is shown once and never stored.',
  fields: (t) => ({
    apiKey: t.field({ type: ApiKeyRef, resolve: (c) => c.apiKey }),
    secret: t.exposeString('secret', { description: 'The whole key, for Authorization: Bearer' }),
    key: t.exposeString('secret', { description: 'Same as secret', deprecationReason: 'Use `secret`.' }),
    token: t.exposeString('secret', { description: 'Same as secret', deprecationReason: 'Use `secret`.' }),
    id: t.id({ resolve: (c) => c.apiKey.id }),
    name: t.string({ resolve: (c) => c.apiKey.name }),
    prefix: t.string({ resolve: (c) => c.apiKey.prefix }),
    userId: t.id({ resolve: (c) => c.apiKey.userId }),
    createdAt: t.field({ type: 'DateTime', resolve: (c) => c.apiKey.createdAt }),
  }),
});

const CreateUserInputRef = builder.inputType('CreateUserInput', {
  fields: (t) => ({
    email: t.string({ required: true }),
    role: t.field({ type: RoleEnum, required: false }),
  }),
});

const CreateApiKeyInputRef = builder.inputType('CreateApiKeyInput', {
  fields: (t) => ({
    userId: t.id({ required: false, description: 'Whose key; absent = the caller. Admins may name any user.' }),
    name: t.string({ required: false }),
    expiresAt: t.field({ type: 'DateTime', required: false, description: 'When the key stops working; absent: never' }),
    limits: t.field({ type: KeyLimitsInputRef, required: false, description: "The key's own limits" }),
    allowedModels: t.stringList({ required: false, description: 'Models the key may call; absent or empty: any' }),
  }),
});

builder.queryField('me', (t) =>
  t.field({ type: UserRef, resolve: (_root, _args, ctx) => ctx.services.access.me(principalOf(ctx)) }),
);

builder.queryField('apiKeys', (t) =>
  t.field({
    type: [ApiKeyRef],
    description: "The caller's keys, newest first (revoked and expired included); an admin may name any user",
    args: { userId: t.arg.id() },
    resolve: (_root, args, ctx) => ctx.services.access.listApiKeys(principalOf(ctx), parseInput(keyOwnerInput, args).userId),
  }),
);

builder.mutationFields((t) => ({
  createUser: t.field({
    type: UserRef,
    description: 'Admin only',
    args: { input: t.arg({ type: CreateUserInputRef, required: true }) },
    resolve: (_root, args, ctx) =>
      ctx.services.access.createUser(principalOf(ctx), parseInput(createUserInput, args.input)),
  }),
  createApiKey: t.field({
    type: CreatedApiKeyRef,
    args: { input: t.arg({ type: CreateApiKeyInputRef, required: true }) },
    resolve: (_root, args, ctx) =>
      ctx.services.access.createApiKey(principalOf(ctx), parseInput(createApiKeyInput, args.input)),
  }),
  rotateApiKey: t.field({
    type: CreatedApiKeyRef,
    description: 'A new secret for the same key (id, limits, expiry kept); the old secret stops at once on every instance',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => ctx.services.access.rotateApiKey(principalOf(ctx), parseInput(idInput, args).id),
  }),
  revokeAllApiKeys: t.int({
    description: "Revokes every active key of a user (the caller's own by default); returns how many",
    args: { userId: t.arg.id() },
    resolve: (_root, args, ctx) => ctx.services.access.revokeAllApiKeys(principalOf(ctx), parseInput(keyOwnerInput, args).userId),
  }),
  revokeApiKey: t.boolean({
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) =>
      ctx.services.access.revokeApiKey(principalOf(ctx), parseInput(idInput, args).id),
  }),
}));
