// npm run admin -- <command> [options]: user and key administration for operators.
//   create-user --email E [--role USER|ADMIN]
//   create-key  --user EMAIL|ID [--name N]        prints the key once
//   revoke-key  --id KEY_ID
//   rotate-key  --id KEY_ID                       prints the new secret once
//   revoke-all-keys --user EMAIL|ID
//   list-users
//   list-keys   --user EMAIL|ID                   never shows a secret
//   set-limits  --user EMAIL|ID [--rpm N|none] [--tokens-per-day N|none] [--budget USD|none]
//   create-team, set-team-limits, add-member, remove-member, teams, set-key-limits: see admin-teams.ts
// Add --json for machine-readable output.
import { parseArgs } from 'node:util';
import { setUserLimitsInput } from '../domain/admin/user-limits.ts';
import { createApiKeyInput, createUserInput } from '../domain/access/schemas.ts';
import { CliError, limitArg, parse, runCli, userIdOf, type CliContext } from './context.ts';
import { TEAM_COMMANDS, TEAM_USAGE, teamCommand } from './admin-teams.ts';

const USAGE = `usage: npm run admin -- create-user --email E [--role USER|ADMIN]
       npm run admin -- create-key --user EMAIL|ID [--name N]
       npm run admin -- revoke-key --id KEY_ID
       npm run admin -- rotate-key --id KEY_ID
       npm run admin -- revoke-all-keys --user EMAIL|ID
       npm run admin -- list-users
       npm run admin -- list-keys --user EMAIL|ID
       npm run admin -- set-limits --user EMAIL|ID [--rpm N|none] [--tokens-per-day N|none] [--budget USD|none]
${TEAM_USAGE}`;

export async function admin(argv: string[], ctx: CliContext): Promise<void> {
  const [command, ...rest] = argv;
  const { values } = parseArgs({
    args: rest,
    options: {
      email: { type: 'string' },
      role: { type: 'string' },
      user: { type: 'string' },
      name: { type: 'string' },
      id: { type: 'string' },
      rpm: { type: 'string' },
      'tokens-per-day': { type: 'string' },
      budget: { type: 'string' },
      team: { type: 'string' },
      models: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const print = (human: string, data: unknown) => ctx.out(values.json ? JSON.stringify(data, null, 2) : human);
  const needUser = async () => {
    if (!values.user) throw new CliError(`--user is required\n${USAGE}`);
    return userIdOf(ctx, values.user);
  };
  switch (command) {
    case 'create-user': {
      const user = await ctx.access.createUser(ctx.principal, parse(createUserInput, { email: values.email, role: values.role?.toUpperCase() }));
      print(`created user ${user.email} (${user.role}) id ${user.id}`, user);
      return;
    }
    case 'create-key': {
      const created = await ctx.access.createApiKey(ctx.principal, parse(createApiKeyInput, { userId: await needUser(), name: values.name }));
      print(`created key ${created.apiKey.id} (${created.apiKey.name}) for user ${created.apiKey.userId}\n${created.secret}\n(shown once: store it now)`, created);
      return;
    }
    case 'revoke-key': {
      if (!values.id) throw new CliError(`--id is required\n${USAGE}`);
      await ctx.access.revokeApiKey(ctx.principal, values.id);
      print(`revoked key ${values.id}`, { revoked: values.id });
      return;
    }
    case 'rotate-key': {
      if (!values.id) throw new CliError(`--id is required\n${USAGE}`);
      const rotated = await ctx.access.rotateApiKey(ctx.principal, values.id);
      print(`rotated key ${rotated.apiKey.id} (${rotated.apiKey.name}); the old secret no longer works\n${rotated.secret}\n(shown once: store it now)`, rotated);
      return;
    }
    case 'revoke-all-keys': {
      const count = await ctx.access.revokeAllApiKeys(ctx.principal, await needUser());
      print(`revoked ${count} key(s)`, { revoked: count });
      return;
    }
    case 'list-users': {
      const users = await ctx.access.listUsers(ctx.principal);
      print(users.map((u) => `${u.id}  ${u.role.padEnd(5)}  ${u.email}`).join('\n') || '(no users)', users);
      return;
    }
    case 'list-keys': {
      const keys = await ctx.access.listApiKeys(ctx.principal, await needUser());
      const state = (k: (typeof keys)[number]) =>
        k.revokedAt ? `revoked ${k.revokedAt.toISOString()}` : k.expiresAt && k.expiresAt <= new Date() ? `expired ${k.expiresAt.toISOString()}` : 'active';
      const line = (k: (typeof keys)[number]) =>
        `${k.id}  sb_${k.prefix}_…  ${k.name.padEnd(12)}  ${state(k)}  last used ${k.lastUsedAt?.toISOString() ?? 'never'}${k.expiresAt ? `  expires ${k.expiresAt.toISOString()}` : ''}`;
      print(keys.map(line).join('\n') || '(no keys)', keys);
      return;
    }
    case 'set-limits': {
      const input = parse(setUserLimitsInput, {
        userId: await needUser(),
        requestsPerMinute: limitArg(values.rpm, 'rpm'),
        tokensPerDay: limitArg(values['tokens-per-day'], 'tokens-per-day'),
        monthlyBudgetUsd: values.budget === 'none' ? null : values.budget,
      });
      const user = await ctx.userLimits.setUserLimits(ctx.principal, input);
      const show = (v: unknown) => (v === null ? 'none' : String(v));
      print(`limits of ${user.email}: rpm ${show(user.limits.requestsPerMinute)}, tokens/day ${show(user.limits.tokensPerDay)}, monthly budget ${user.limits.monthlyBudgetUsd === null ? 'none' : `${user.limits.monthlyBudgetUsd} USD`}`, user);
      return;
    }
    default:
      if ((TEAM_COMMANDS as readonly string[]).includes(command ?? '')) return teamCommand(command as (typeof TEAM_COMMANDS)[number], values, ctx, print);
      throw new CliError(USAGE);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await runCli((ctx) => admin(process.argv.slice(2), ctx), `${USAGE}\n       add --json for machine-readable output`);
}
