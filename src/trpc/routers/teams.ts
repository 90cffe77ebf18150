// tRPC: teams.list, admin.teams.{create,setLimits,addMember,removeMember}, apiKeys.setLimits.
import { setApiKeyLimitsInput } from '../../domain/access/api-key-limits.ts';
import { createTeamInput, setTeamLimitsInput, teamMemberInput } from '../../domain/teams/schemas.ts';
import { authedProcedure, router } from '../init.ts';

export const teamsRouter = router({
  list: authedProcedure.query(({ ctx }) => ctx.services.teams.teams(ctx.principal)),
});

export const adminTeamsRouter = router({
  create: authedProcedure.input(createTeamInput).mutation(({ ctx, input }) => ctx.services.teams.createTeam(ctx.principal, input)),
  setLimits: authedProcedure.input(setTeamLimitsInput).mutation(({ ctx, input }) => ctx.services.teams.setTeamLimits(ctx.principal, input)),
  addMember: authedProcedure.input(teamMemberInput).mutation(({ ctx, input }) => ctx.services.teams.addTeamMember(ctx.principal, input)),
  removeMember: authedProcedure.input(teamMemberInput).mutation(({ ctx, input }) => ctx.services.teams.removeTeamMember(ctx.principal, input)),
});

export const setApiKeyLimitsProcedure = authedProcedure
  .input(setApiKeyLimitsInput)
  .mutation(({ ctx, input }) => ctx.services.apiKeyLimits.setApiKeyLimits(ctx.principal, input));
