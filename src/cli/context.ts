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
import { createPricingService, type PricingService } from '../domain/usage/pricing-service.ts';
import { loadPriceFile } from '../domain/usage/price-file.ts';
import { loadEnv } from '../env.ts';
import { badInputFromZod } from '../domain/validation.ts';
import type { z } from 'zod';
import { createRouter, parseModelRoutes } from '../upstream/routing.ts';
import { createKeyRevocations, type KeyRevocations } from '../key-revocations.ts';
import { createLogger } from '../logger.ts';
import { createApiKeyLimits, type ApiKeyLimits } from '../domain/access/api-key-limits.ts';
import { createKeySettings } from '../domain/access/key-settings.ts';
import { createTeamService, type TeamService } from '../domain/teams/team-service.ts';
import { createTeamSettings } from '../domain/teams/team-settings.ts';
import { helpRequested } from './help.ts';

export interface CliContext {
  principal: Principal;
  access: AccessService;
  usage: UsageReports;
  userLimits: UserLimitsAdmin;
  users: UserDirectory;
  /** The price versions (built on first use: it reads the price file and the routing table). */
  prices(): PricingService;
  teams: TeamService;
  apiKeyLimits: ApiKeyLimits;
  out: (line: string) => void;
}

export class CliError extends Error {
  override readonly name = 'CliError';
}

export function cliContext(
  prisma: PrismaClient,
  out: (line: string) => void = (l) => process.stdout.write(`${l}\n`),
  publishRevoked?: KeyRevocations['publish'],
): CliContext {
  return {
    principal: { userId: BOOTSTRAP_ADMIN_ID, role: 'ADMIN' },
    // Revoked and rotated keys reach running servers at once through the revocation channel.
    access: createAccessService({ prisma, cacheTtlMs: 0, publishRevoked }),
    usage: createUsageReports({ prisma }),
    // Another process's caches are not reachable from here: a server picks limits up within AUTH_CACHE_TTL_MS.
    userLimits: createUserLimitsAdmin({ prisma, userSettings: createUserSettings({ prisma, ttlMs: 0 }) }),
    users: createUserDirectory({ prisma }),
    prices: () => {
      const env = loadEnv();
      return createPricingService({ prisma, priceFile: loadPriceFile(env.PRICE_FILE), routeFor: createRouter(parseModelRoutes(env.MODEL_ROUTES)), refreshMs: 0 });
    },
    teams: createTeamService({ prisma, teamSettings: createTeamSettings({ prisma, ttlMs: 0 }), onMembershipChange: () => {} }),
    apiKeyLimits: createApiKeyLimits({ prisma, keySettings: createKeySettings({ prisma, ttlMs: 0 }) }),
    out,
  };
}

export { helpRequested };

/**
 * Opens the configured database, runs `fn`, closes; prints errors and sets the exit code.
 * `usage` is printed (exit 0, no database opened) when argv has `--help` or `-h`.
 */
export async function runCli(fn: (ctx: CliContext) => Promise<void>, usage?: string): Promise<void> {
  if (helpRequested(process.argv.slice(2), usage ?? 'usage: see the "Operator CLIs" section of README.md')) return;
  try {
    const env = loadEnv();
    const db = await openDatabase({ databaseUrl: env.DATABASE_URL, dataDir: env.DATA_DIR, log: () => {} });
    const revocations = await createKeyRevocations({ databaseUrl: env.DATABASE_URL, logger: createLogger('warn') });
    try {
      await fn(cliContext(db.prisma, undefined, (event) => revocations.publish(event)));
    } finally {
      await revocations.close();
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

/** An argument checked by a domain schema: its BAD_INPUT message becomes a CLI usage error. */
export function parse<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new CliError(badInputFromZod(parsed.error).message);
  return parsed.data;
}

/** "none" -> null (no limit); absent -> undefined (unchanged); else a number. */
export function limitArg(value: string | undefined, name: string): number | null | undefined {
  if (value === undefined) return undefined;
  if (value === 'none') return null;
  const n = Number(value);
  if (!Number.isInteger(n)) throw new CliError(`--${name} must be a whole number or "none"`);
  return n;
}
