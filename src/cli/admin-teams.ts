// npm run admin -- team and key-limit commands, through the same domain services:
//   create-team     --name N [--rpm N|none] [--tokens-per-day N|none] [--budget USD|none]
//   set-team-limits --team NAME|ID [--rpm N|none] [--tokens-per-day N|none] [--budget USD|none]
//   add-member      --team NAME|ID --user EMAIL|ID
//   remove-member   --team NAME|ID --user EMAIL|ID
//   teams
//   set-key-limits  --id KEY_ID [--rpm N|none] [--tokens-per-day N|none] [--budget USD|none] [--models a,b|any]
import { setApiKeyLimitsInput } from '../domain/access/api-key-limits.ts';
import type { LimitValues } from '../domain/limits/limit-values.ts';
import { createTeamInput, setTeamLimitsInput, teamMemberInput } from '../domain/teams/schemas.ts';
import type { TeamView } from '../domain/teams/team-service.ts';
import { CliError, limitArg, parse, userIdOf, type CliContext } from './context.ts';

export const TEAM_USAGE = `       npm run admin -- create-team --name N [--rpm N|none] [--tokens-per-day N|none] [--budget USD|none]
       npm run admin -- set-team-limits --team NAME|ID [--rpm N|none] [--tokens-per-day N|none] [--budget USD|none]
       npm run admin -- add-member --team NAME|ID --user EMAIL|ID
       npm run admin -- remove-member --team NAME|ID --user EMAIL|ID
       npm run admin -- teams
       npm run admin -- set-key-limits --id KEY_ID [--rpm N|none] [--tokens-per-day N|none] [--budget USD|none] [--models a,b|any]`;

export const TEAM_COMMANDS = ['create-team', 'set-team-limits', 'add-member', 'remove-member', 'teams', 'set-key-limits'] as const;

export interface TeamArgs {
  name?: string;
  team?: string;
  user?: string;
  id?: string;
  rpm?: string;
  'tokens-per-day'?: string;
  budget?: string;
  models?: string;
}

const limitArgs = (a: TeamArgs) => ({
  requestsPerMinute: limitArg(a.rpm, 'rpm'),
  tokensPerDay: limitArg(a['tokens-per-day'], 'tokens-per-day'),
  monthlyBudgetUsd: a.budget === 'none' ? null : a.budget,
});

const show = (v: unknown) => (v === null ? 'none' : String(v));
export const describeLimits = (l: LimitValues) =>
  `rpm ${show(l.requestsPerMinute)}, tokens/day ${show(l.tokensPerDay)}, monthly budget ${l.monthlyBudgetUsd === null ? 'none' : `${l.monthlyBudgetUsd} USD`}`;
const describeTeam = (t: TeamView) => `team ${t.name} (${t.id}): ${describeLimits(t.limits)}; members: ${t.members.map((m) => m.email).join(', ') || 'none'}`;

async function teamIdOf(ctx: CliContext, nameOrId: string | undefined): Promise<string> {
  if (!nameOrId) throw new CliError('--team is required');
  const team = (await ctx.teams.teams(ctx.principal)).find((t) => t.id === nameOrId || t.name === nameOrId);
  if (!team) throw new CliError(`no team named ${nameOrId}`);
  return team.id;
}

export async function teamCommand(command: (typeof TEAM_COMMANDS)[number], a: TeamArgs, ctx: CliContext, print: (human: string, data: unknown) => void): Promise<void> {
  const member = async () => {
    if (!a.user) throw new CliError('--user is required');
    return parse(teamMemberInput, { teamId: await teamIdOf(ctx, a.team), userId: await userIdOf(ctx, a.user) });
  };
  switch (command) {
    case 'create-team': {
      const team = await ctx.teams.createTeam(ctx.principal, parse(createTeamInput, { name: a.name, limits: limitArgs(a) }));
      return print(`created ${describeTeam(team)}`, team);
    }
    case 'set-team-limits': {
      const team = await ctx.teams.setTeamLimits(ctx.principal, parse(setTeamLimitsInput, { teamId: await teamIdOf(ctx, a.team), ...limitArgs(a) }));
      return print(describeTeam(team), team);
    }
    case 'add-member': {
      const team = await ctx.teams.addTeamMember(ctx.principal, await member());
      return print(describeTeam(team), team);
    }
    case 'remove-member': {
      const team = await ctx.teams.removeTeamMember(ctx.principal, await member());
      return print(describeTeam(team), team);
    }
    case 'teams': {
      const teams = await ctx.teams.teams(ctx.principal);
      return print(teams.map(describeTeam).join('\n') || 'no teams', teams);
    }
    case 'set-key-limits': {
      const models = a.models === undefined ? undefined : a.models === 'any' ? [] : a.models.split(',').map((m) => m.trim()).filter(Boolean);
      const key = await ctx.apiKeyLimits.setApiKeyLimits(ctx.principal, parse(setApiKeyLimitsInput, { id: a.id, ...limitArgs(a), allowedModels: models }));
      return print(`key ${key.id} (${key.name}): ${describeLimits(key.limits)}; models: ${key.allowedModels.join(', ') || 'any'}`, key);
    }
  }
}
