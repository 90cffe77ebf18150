// What the operator CLIs work with: the server's own services (createServices, without its
// background work), on the database DATABASE_URL (or DATA_DIR's embedded one) names, acting as
// the bootstrap admin.
// The embedded database can be opened by one process only: stop the server first, or use PostgreSQL.
import { BOOTSTRAP_ADMIN_ID, type AccessService } from '../domain/access/access-service.ts';
import type { Principal } from '../domain/access/principal.ts';
import type { UserDirectory } from '../domain/access/user-directory.ts';
import { AppError } from '../platform/errors.ts';
import type { UserLimitsAdmin } from '../domain/admin/user-limits.ts';
import type { UsageReports } from '../domain/reports/usage-report.ts';
import type { PricingService } from '../domain/pricing/pricing-service.ts';
import { loadEnv } from '../platform/env.ts';
import { badInputFromZod } from '../domain/validation.ts';
import type { z } from 'zod';
import { createLogger } from '../platform/logger.ts';
import type { ApiKeyLimits } from '../domain/access/api-key-limits.ts';
import type { TeamService } from '../domain/teams/team-service.ts';
import { helpRequested } from '../platform/cli-help.ts';
import { createServices } from '../composition/services.ts';
import type { Services } from '../domain/services.ts';

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

export function cliContext(services: Services, out: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): CliContext {
  return {
    principal: { userId: BOOTSTRAP_ADMIN_ID, role: 'ADMIN' },
    access: services.access,
    usage: services.usage,
    userLimits: services.userLimits,
    users: services.users,
    prices: () => services.pricing,
    teams: services.teams,
    apiKeyLimits: services.apiKeyLimits,
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
    // The server's own composition, without its background work; revoked and rotated keys reach
    // running servers at once through the revocation channel, as the server's own acts do.
    const composed = await createServices(loadEnv(), { background: false, logger: createLogger('warn') });
    try {
      await fn(cliContext(composed.services));
    } finally {
      await composed.close();
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
