// Teams: admins create them with limits and add or remove members (a user belongs to at most one
// team). A member's calls count toward the team's limits and carry its teamId in the ledger.
// Changes reach this instance at once (its caches are evicted) and others within
// AUTH_CACHE_TTL_MS.
import type { PrismaClient } from '../../db/index.ts';
import { dbErrorKind } from '../../db/index.ts';
import { AppError, notFound } from '../../platform/errors.ts';
import { uuidv7 } from '../../platform/ids.ts';
import { isAdmin, requireAdmin, type Principal } from '../access/principal.ts';
import { toUserView, type UserView } from '../access/user-view.ts';
import { limitColumns, limitValuesOf, type LimitValues } from '../limits/limit-values.ts';
import type { CreateTeamInput, SetTeamLimitsInput, TeamMemberInput } from './schemas.ts';
import type { TeamSettingsCache } from './team-settings.ts';
import { recordAudit } from '../audit/audit-trail.ts';

/** A member as a team's reader sees it: role, limits and default gateway only for oneself (admins: all). */
export interface TeamMemberView extends Omit<UserView, 'role' | 'limits' | 'defaultGatewayId'> {
  role: UserView['role'] | null;
  limits: UserView['limits'] | null;
  defaultGatewayId: string | null;
}

export interface TeamView {
  id: string;
  name: string;
  limits: LimitValues;
  members: TeamMemberView[];
  createdAt: Date;
}

export interface TeamServiceDeps {
  prisma: PrismaClient;
  teamSettings: TeamSettingsCache;
  /** A user's team changed: forget its cached principals (they carry the teamId). */
  onMembershipChange: (userId: string) => void;
}

const WITH_MEMBERS = { members: { include: { user: true }, orderBy: { addedAt: 'asc' } } } as const;

export function createTeamService({ prisma, teamSettings, onMembershipChange }: TeamServiceDeps) {
  type TeamRow = NonNullable<Awaited<ReturnType<typeof load>>>;

  function load(id: string) {
    return prisma.team.findUnique({ where: { id }, include: WITH_MEMBERS });
  }

  /** viewer absent: an admin operation (everything shown). */
  function toView(row: TeamRow, viewer?: Principal): TeamView {
    const members = row.members.map((m): TeamMemberView => {
      const user = toUserView(m.user);
      if (!viewer || isAdmin(viewer) || user.id === viewer.userId) return user;
      return { ...user, role: null, limits: null, defaultGatewayId: null };
    });
    return { id: row.id, name: row.name, limits: limitValuesOf(row), members, createdAt: row.createdAt };
  }

  async function existing(id: string): Promise<TeamRow> {
    const row = await load(id);
    if (!row) throw notFound('Team');
    return row;
  }

  async function createTeam(principal: Principal, input: CreateTeamInput): Promise<TeamView> {
    requireAdmin(principal);
    try {
      const row = await prisma.$transaction(async (tx) => {
        const created = await tx.team.create({ data: { id: uuidv7(), name: input.name, ...limitColumns(input.limits) }, include: WITH_MEMBERS });
        await recordAudit(tx, principal, { action: 'team.create', targetType: 'TEAM', targetId: created.id, details: { name: created.name, ...limitColumns(input.limits) } });
        return created;
      });
      return toView(row);
    } catch (error) {
      if (dbErrorKind(error) === 'unique_violation') throw new AppError('BAD_INPUT', 'A team with this name already exists', { field: 'name' }, { cause: error });
      throw error;
    }
  }

  async function setTeamLimits(principal: Principal, input: SetTeamLimitsInput): Promise<TeamView> {
    requireAdmin(principal);
    await existing(input.teamId);
    await prisma.$transaction(async (tx) => {
      await tx.team.update({ where: { id: input.teamId }, data: limitColumns(input) });
      await recordAudit(tx, principal, { action: 'team.limits', targetType: 'TEAM', targetId: input.teamId, details: limitColumns(input) });
    });
    teamSettings.evict(input.teamId);
    return toView(await existing(input.teamId));
  }

  async function addTeamMember(principal: Principal, input: TeamMemberInput): Promise<TeamView> {
    requireAdmin(principal);
    await existing(input.teamId);
    const user = await prisma.user.findUnique({ where: { id: input.userId }, select: { id: true, teamMembership: { select: { teamId: true } } } });
    if (!user) throw notFound('User');
    const current = user.teamMembership?.teamId;
    if (current && current !== input.teamId) {
      throw new AppError('BAD_INPUT', 'The user is already a member of another team (a user belongs to at most one): remove it there first', { field: 'userId' });
    }
    if (!current) {
      try {
        await prisma.$transaction(async (tx) => {
          await tx.teamMember.create({ data: { userId: input.userId, teamId: input.teamId } });
          await recordAudit(tx, principal, { action: 'team.member.add', targetType: 'TEAM', targetId: input.teamId, details: { userId: input.userId } });
        });
      } catch (error) {
        // A concurrent add of the same user: one membership wins, this one reports the conflict.
        if (dbErrorKind(error) === 'unique_violation') throw new AppError('BAD_INPUT', 'The user is already a member of a team', { field: 'userId' }, { cause: error });
        throw error;
      }
      onMembershipChange(input.userId);
    }
    return toView(await existing(input.teamId));
  }

  async function removeTeamMember(principal: Principal, input: TeamMemberInput): Promise<TeamView> {
    requireAdmin(principal);
    await existing(input.teamId);
    await prisma.$transaction(async (tx) => {
      const removed = await tx.teamMember.deleteMany({ where: { userId: input.userId, teamId: input.teamId } });
      if (removed.count === 0) throw notFound('Team member');
      await recordAudit(tx, principal, { action: 'team.member.remove', targetType: 'TEAM', targetId: input.teamId, details: { userId: input.userId } });
    });
    onMembershipChange(input.userId);
    return toView(await existing(input.teamId));
  }

  /** Admin: every team; a user: its own (none or one). */
  async function teams(principal: Principal): Promise<TeamView[]> {
    const rows = await prisma.team.findMany({
      where: isAdmin(principal) ? {} : { members: { some: { userId: principal.userId } } },
      include: WITH_MEMBERS,
      orderBy: { name: 'asc' },
    });
    return rows.map((row) => toView(row, principal));
  }

  /** The team a user belongs to, if any. */
  async function teamIdOf(userId: string): Promise<string | null> {
    const row = await prisma.teamMember.findUnique({ where: { userId }, select: { teamId: true } });
    return row?.teamId ?? null;
  }

  return { createTeam, setTeamLimits, addTeamMember, removeTeamMember, teams, teamIdOf };
}

export type TeamService = ReturnType<typeof createTeamService>;
