// npm run reconcile -- --from ISO --to ISO [--gateway ID]
// One reconciliation run of a gateway's ledger rows against Cloudflare's logs, as the admin
// mutation does it (CLOUDFLARE_API_TOKEN, CLOUDFLARE_ACCOUNT_ID, CLOUDFLARE_API_BASE_URL as the
// server uses them; RECONCILE_LAG_MS applies). Exit code 0 when the run is OK, 1 when it FAILED.
import { parseArgs } from 'node:util';
import { createServices } from '../composition/services.ts';
import { BOOTSTRAP_ADMIN_ID } from '../domain/access/access-service.ts';
import { reconcileUsageInput } from '../domain/reconciliation/schemas.ts';
import { badInputFromZod } from '../domain/validation.ts';
import { loadEnv } from '../platform/env.ts';
import { createLogger } from '../platform/logger.ts';
import { helpRequested } from './context.ts';

const USAGE = 'usage: npm run reconcile -- --from ISO --to ISO [--gateway ID]';

async function main(argv: string[]): Promise<number> {
  if (helpRequested(argv, USAGE)) return 0;
  const { values } = parseArgs({ args: argv, options: { from: { type: 'string' }, to: { type: 'string' }, gateway: { type: 'string' } }, strict: true });
  if (!values.from || !values.to) throw new Error(`--from and --to are required\n${USAGE}`);
  const parsed = reconcileUsageInput.safeParse({ from: values.from, to: values.to, gatewayId: values.gateway });
  if (!parsed.success) throw new Error(badInputFromZod(parsed.error).message);
  const env = loadEnv();
  if (!env.CLOUDFLARE_API_TOKEN || !env.CLOUDFLARE_ACCOUNT_ID) throw new Error('CLOUDFLARE_API_TOKEN and CLOUDFLARE_ACCOUNT_ID are required (the logs API needs them)');
  // The server's composition without its background work: the same reconciliation service as
  // the admin mutation (its sources as RECONCILE_SOURCE says), acting as the bootstrap admin.
  const composed = await createServices(env, { background: false, logger: createLogger(env.LOG_LEVEL === 'info' ? 'warn' : env.LOG_LEVEL, [env.CLOUDFLARE_API_TOKEN]) });
  try {
    const run = await composed.services.reconciliation.reconcileUsage({ userId: BOOTSTRAP_ADMIN_ID, role: 'ADMIN' }, parsed.data);
    process.stdout.write(`${JSON.stringify(run, null, 2)}\n`);
    return run.status === 'OK' ? 0 : 1;
  } finally {
    await composed.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (error: unknown) => {
      process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 2;
    },
  );
}
