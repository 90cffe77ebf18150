// Which limits apply to a call: the API key's own, the user's (its own, else the defaults) and
// its team's. A level without any limit is left out, so a caller with no limit anywhere costs no
// limit-store round trip. Order matters: the first subject that refuses names the refusal.
import type { KeySettingsCache } from '../access/key-settings.ts';
import type { Principal } from '../access/principal.ts';
import type { UserSettings } from '../access/user-settings.ts';
import type { TeamSettingsCache } from '../teams/team-settings.ts';
import type { EffectiveLimits, LimitSubject } from './limit-store.ts';
import type { LimitValues } from './limit-values.ts';
import { usdToUnits } from './money.ts';

export interface LimitDefaults {
  requestsPerMinute?: number;
  tokensPerDay?: number;
  monthlyBudgetUsd?: string;
}

/** The levels of a caller: its user, and the key and team when there are. */
export type CallerLevels = Pick<Principal, 'userId' | 'keyId' | 'teamId'>;

export interface LimitSubjectsDeps {
  userSettings: { get(userId: string): Promise<UserSettings> };
  keySettings: KeySettingsCache;
  teamSettings: TeamSettingsCache;
  defaults: LimitDefaults;
}

export function effectiveLimits(values: LimitValues, defaults: LimitDefaults = {}): EffectiveLimits {
  const budget = values.monthlyBudgetUsd ?? defaults.monthlyBudgetUsd ?? null;
  return {
    requestsPerMinute: values.requestsPerMinute ?? defaults.requestsPerMinute ?? null,
    tokensPerDay: values.tokensPerDay ?? defaults.tokensPerDay ?? null,
    monthlyBudgetUnits: budget == null ? null : usdToUnits(budget),
  };
}

const limited = (l: EffectiveLimits): boolean => l.requestsPerMinute != null || l.tokensPerDay != null || l.monthlyBudgetUnits != null;

export interface CallerLimits {
  subjects: LimitSubject[];
  /** The key's model allow-list; empty: any model. */
  allowedModels: string[];
}

export function createLimitSubjects({ userSettings, keySettings, teamSettings, defaults }: LimitSubjectsDeps) {
  return async function limitsOf(caller: CallerLevels): Promise<CallerLimits> {
    const [user, key, team] = await Promise.all([
      userSettings.get(caller.userId),
      caller.keyId ? keySettings.get(caller.keyId) : undefined,
      caller.teamId ? teamSettings.get(caller.teamId) : undefined,
    ]);
    const subjects: LimitSubject[] = [];
    if (key && caller.keyId) subjects.push({ level: 'key', id: caller.keyId, limits: effectiveLimits(key.limits) });
    subjects.push({ level: 'user', id: caller.userId, limits: effectiveLimits(user, defaults) });
    if (team && caller.teamId) subjects.push({ level: 'team', id: caller.teamId, limits: effectiveLimits(team) });
    return { subjects: subjects.filter((s) => limited(s.limits)), allowedModels: key?.allowedModels ?? [] };
  };
}

export type LimitsOf = ReturnType<typeof createLimitSubjects>;
