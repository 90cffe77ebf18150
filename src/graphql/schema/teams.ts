// GraphQL: teams (admin manages; a user sees its own) and API key limits.
import { setApiKeyLimitsInput } from '../../domain/access/api-key-limits.ts';
import { createTeamInput, setTeamLimitsInput, teamMemberInput } from '../../domain/teams/schemas.ts';
import type { TeamMemberView, TeamView } from '../../domain/teams/team-service.ts';
import { parseInput } from '../../domain/validation.ts';
import { builder, principalOf } from '../builder.ts';
import { ApiKeyRef, RoleEnum, UserLimitsRef } from './access.ts';
import { LimitsInputRef, LimitsRef } from './limits.ts';

const TeamMemberRef = builder.objectRef<TeamMemberView>('TeamMember').implement({
  description: "A member of a team: members see each other's id and email; role, limits and default gateway only their own (admins: all)",
  fields: (t) => ({
    id: t.exposeID('id'),
    email: t.exposeString('email'),
    role: t.field({ type: RoleEnum, nullable: true, resolve: (u) => u.role }),
    defaultGatewayId: t.exposeString('defaultGatewayId', { nullable: true }),
    limits: t.field({ type: UserLimitsRef, nullable: true, resolve: (u) => u.limits }),
    createdAt: t.field({ type: 'DateTime', resolve: (u) => u.createdAt }),
  }),
});

const TeamRef = builder.objectRef<TeamView>('Team').implement({
  description: "A team: its members' calls count toward its limits",
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    limits: t.field({ type: LimitsRef, resolve: (team) => team.limits }),
    members: t.field({ type: [TeamMemberRef], resolve: (team) => team.members }),
    createdAt: t.field({ type: 'DateTime', resolve: (team) => team.createdAt }),
  }),
});

const CreateTeamInputRef = builder.inputType('CreateTeamInput', {
  fields: (t) => ({
    name: t.string({ required: true }),
    limits: t.field({ type: LimitsInputRef, required: false }),
  }),
});

const SetTeamLimitsInputRef = builder.inputType('SetTeamLimitsInput', {
  description: 'Absent field: unchanged; null: no limit',
  fields: (t) => ({
    teamId: t.id({ required: true }),
    requestsPerMinute: t.int({ required: false }),
    tokensPerDay: t.int({ required: false }),
    monthlyBudgetUsd: t.string({ required: false, description: 'USD, decimal string' }),
  }),
});

const SetApiKeyLimitsInputRef = builder.inputType('SetApiKeyLimitsInput', {
  description: 'Absent field: unchanged; null: no limit; allowedModels [] = any model',
  fields: (t) => ({
    id: t.id({ required: true }),
    requestsPerMinute: t.int({ required: false }),
    tokensPerDay: t.int({ required: false }),
    monthlyBudgetUsd: t.string({ required: false, description: 'USD, decimal string' }),
    allowedModels: t.stringList({ required: false }),
  }),
});

builder.queryField('teams', (t) =>
  t.field({ type: [TeamRef], description: 'Admin: every team; a user: its own', resolve: (_root, _args, ctx) => ctx.services.teams.teams(principalOf(ctx)) }),
);

builder.mutationFields((t) => ({
  createTeam: t.field({
    type: TeamRef,
    description: 'Admin only',
    args: { input: t.arg({ type: CreateTeamInputRef, required: true }) },
    resolve: (_root, args, ctx) => ctx.services.teams.createTeam(principalOf(ctx), parseInput(createTeamInput, args.input)),
  }),
  setTeamLimits: t.field({
    type: TeamRef,
    description: 'Admin only',
    args: { input: t.arg({ type: SetTeamLimitsInputRef, required: true }) },
    resolve: (_root, args, ctx) => ctx.services.teams.setTeamLimits(principalOf(ctx), parseInput(setTeamLimitsInput, args.input)),
  }),
  addTeamMember: t.field({
    type: TeamRef,
    description: 'Admin only. A user belongs to at most one team.',
    args: { teamId: t.arg.id({ required: true }), userId: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => ctx.services.teams.addTeamMember(principalOf(ctx), parseInput(teamMemberInput, args)),
  }),
  removeTeamMember: t.field({
    type: TeamRef,
    description: 'Admin only',
    args: { teamId: t.arg.id({ required: true }), userId: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => ctx.services.teams.removeTeamMember(principalOf(ctx), parseInput(teamMemberInput, args)),
  }),
  setApiKeyLimits: t.field({
    type: ApiKeyRef,
    description: "A key's own limits and model allow-list (its owner or an admin)",
    args: { input: t.arg({ type: SetApiKeyLimitsInputRef, required: true }) },
    resolve: (_root, args, ctx) => ctx.services.apiKeyLimits.setApiKeyLimits(principalOf(ctx), parseInput(setApiKeyLimitsInput, args.input)),
  }),
}));
