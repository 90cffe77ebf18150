// npm run report -- --from 2026-11-01 --to 2026-12-01 --group-by day,model [--user EMAIL | --all]
//                   [--model M] [--gateway G] [--format table|csv|json]
// Dates are UTC; a bare date means its midnight; --to is exclusive. Without --user, all users.
import { parseArgs } from 'node:util';
import { USAGE_DIMENSIONS, usageReportInput, type UsageDimension } from '../domain/reports/schemas.ts';
import { badInputFromZod } from '../domain/validation.ts';
import { CliError, runCli, userIdOf, type CliContext } from './context.ts';
import { FORMATS, formatReport, type ReportFormat } from './report-format.ts';

const USAGE = 'usage: npm run report -- --from YYYY-MM-DD --to YYYY-MM-DD [--group-by day,model,gateway,user,api,status,api_key,team,tag] [--user EMAIL | --all] [--model M] [--gateway G] [--format table|csv|json]';

export async function report(argv: string[], ctx: CliContext): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      from: { type: 'string' },
      to: { type: 'string' },
      'group-by': { type: 'string', default: '' },
      user: { type: 'string' },
      all: { type: 'boolean', default: false },
      model: { type: 'string' },
      gateway: { type: 'string' },
      format: { type: 'string', default: 'table' },
    },
    strict: true,
  });
  if (!values.from || !values.to) throw new CliError(`--from and --to are required\n${USAGE}`);
  if (values.user && values.all) throw new CliError('give --user or --all, not both');
  if (!(FORMATS as readonly string[]).includes(values.format)) throw new CliError(`--format must be one of ${FORMATS.join(', ')}`);
  const groupBy = values['group-by'].split(',').map((d) => d.trim().toUpperCase()).filter(Boolean);
  const unknown = groupBy.filter((d) => !(USAGE_DIMENSIONS as readonly string[]).includes(d));
  if (unknown.length > 0) throw new CliError(`unknown --group-by ${unknown.join(', ')} (use ${USAGE_DIMENSIONS.join(', ').toLowerCase()})`);
  const parsed = usageReportInput.safeParse({
    from: values.from,
    to: values.to,
    groupBy,
    userId: values.user ? await userIdOf(ctx, values.user) : undefined,
    allUsers: values.user ? undefined : true,
    model: values.model,
    gatewayId: values.gateway,
  });
  if (!parsed.success) throw new CliError(badInputFromZod(parsed.error).message);
  const result = await ctx.usage.report(ctx.principal, parsed.data);
  ctx.out(formatReport(result, groupBy as UsageDimension[], values.format as ReportFormat));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await runCli((ctx) => report(process.argv.slice(2), ctx), `${USAGE}\n  dates are UTC (a bare date is its midnight), --to is exclusive; without --user, all users.\n  csv has no total row (one row per group, for imports); table and json carry the totals.`);
}
