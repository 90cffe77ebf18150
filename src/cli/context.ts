// What the operator CLIs work with: the same domain services as the server, on the database
// that DATABASE_URL (or DATA_DIR's embedded one) names, acting as the bootstrap admin.
// The embedded database can be opened by one process only: stop the server first, or use PostgreSQL.
import { openDatabase, type PrismaClient } from '../db/index.ts';
import { BOOTSTRAP_ADMIN_ID, createAccessService, type AccessService } from '../domain/access/access-service.ts';
import type { Principal } from '../domain/access/principal.ts';
import { createUserSettings } from '../domain/access/user-settings.ts';
import { createUserDirectory, type UserDirectory } from '../domain/access/user-directory.ts';
import { AppError } from '../errors.ts';
import { createUserLimitsAdmin, type UserLimitsAdmin } from '../domain/admin/user-limits.ts';
import { createUsageReports, type UsageReports } from '../domain/usage/usage-report.ts';
import { loadEnv } from '../env.ts';
import { createApiKeyLimits, type ApiKeyLimits } from '../domain/access/api-key-limits.ts';
import { createKeySettings } from '../domain/access/key-settings.ts';
import { createTeamService, type TeamService } from '../domain/teams/team-service.ts';
import { createTeamSettings } from '../domain/teams/team-settings.ts';

export interface CliContext {
  principal: Principal;
  access: AccessService;
  usage: UsageReports;
  userLimits: UserLimitsAdmin;
  users: UserDirectory;
  teams: TeamService;
  apiKeyLimits: ApiKeyLimits;
  out: (line: string) => void;
}

export class CliError extends Error {
  override readonly name = 'CliError';
}

export function cliContext(prisma: PrismaClient, out: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): CliContext {
  return {
    principal: { userId: BOOTSTRAP_ADMIN_ID, role: 'ADMIN' },
    access: createAccessService({ prisma, cacheTtlMs: 0 }),
    usage: createUsageReports({ prisma }),
    // Another process's caches are not reachable from here: a server picks limits up within AUTH_CACHE_TTL_MS.
    userLimits: createUserLimitsAdmin({ prisma, userSettings: createUserSettings({ prisma, ttlMs: 0 }) }),
    users: createUserDirectory({ prisma }),
    teams: createTeamService({ prisma, teamSettings: createTeamSettings({ prisma, ttlMs: 0 }), onMembershipChange: () => {} }),
    apiKeyLimits: createApiKeyLimits({ prisma, keySettings: createKeySettings({ prisma, ttlMs: 0 }) }),
    out,
  };
}

/** Opens the configured database, runs `fn`, closes; prints errors and sets the exit code. */
export async function runCli(fn: (ctx: CliContext) => Promise<void>): Promise<void> {
  try {
    const env = loadEnv();
    const db = await openDatabase({ databaseUrl: env.DATABASE_URL, dataDir: env.DATA_DIR, log: () => {} });
    try {
      await fn(cliContext(db.prisma));
    } finally {
      await db.close();
    }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`error: ${message}\n`);
    process.exitCode = error instanceof CliError ? 2 : 1;
  }
}

/** A user id from an email (or a uuid given as is). */
export async function userIdOf(ctx: CliContext, emailOrId: string): Promise<string> {
  try {
    return await ctx.users.idOf(ctx.principal, emailOrId);
  } catch (error) {
    if (error instanceof AppError && error.code === 'NOT_FOUND') throw new CliError(`no user with email ${emailOrId}`);
    throw error;
  }
}
