// Inputs of the team operations: one zod schema each, shared by GraphQL, tRPC and the CLI.
import { z } from 'zod';
import { safeString } from '../safe-text.ts';
import { limitValuesInput } from '../limits/limit-values.ts';

const teamId = z.uuid({ message: 'must be a team id' });
const userId = z.uuid({ message: 'must be a user id' });

export const createTeamInput = z.object({
  name: safeString().pipe(z.string().trim().min(1, 'must not be empty').max(100).regex(/^[^\u0000-\u001f\u007f]*$/, 'must not contain control characters')),
  limits: limitValuesInput.nullish(),
});
export type CreateTeamInput = z.infer<typeof createTeamInput>;

/** Absent field: unchanged; null: no limit. */
export const setTeamLimitsInput = limitValuesInput.extend({ teamId });
export type SetTeamLimitsInput = z.infer<typeof setTeamLimitsInput>;

export const teamMemberInput = z.object({ teamId, userId });
export type TeamMemberInput = z.infer<typeof teamMemberInput>;
