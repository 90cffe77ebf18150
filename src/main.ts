// Entry point: environment -> app -> listen; SIGTERM/SIGINT drain and close.
import 'dotenv/config';
import { createApp } from './app.ts';
import { helpRequested } from './platform/cli-help.ts';
import { EnvError, loadEnv } from './platform/env.ts';
import { boundHeapGrowth } from './platform/heap-growth.ts';
import { installProcessGuard } from './platform/process-guard.ts';

const USAGE = `usage: npm start   (node dist/main.js; \`npm run dev\` runs src/ through tsx)

Serves GraphQL (/graphql), tRPC (/trpc), /healthz, /readyz, /metrics and /dashboard on one port.
Configuration comes from the environment (and .env): PORT, HOST, DATABASE_URL, DATA_DIR,
REDIS_URL, ADMIN_API_KEY, CLOUDFLARE_ACCOUNT_ID, CLOUDFLARE_API_TOKEN, ... (README: Configuration).
Without CLOUDFLARE_API_TOKEN outside production it runs offline against the built-in simulator.`;

async function main(): Promise<void> {
  if (helpRequested(process.argv.slice(2), USAGE)) return;
  let env;
  try {
    env = loadEnv();
  } catch (error) {
    if (error instanceof EnvError) {
      process.stderr.write(`switchboard: ${error.message}\n`);
      process.exit(78);
    }
    throw error;
  }
  // A process setting, so here at the process's entry (the bench's server does the same).
  boundHeapGrowth(env.HEAP_GROWTH_PERCENT);
  const app = await createApp(env);
  // From here on no error thrown while serving ends the process (platform/process-guard.ts).
  installProcessGuard({ logger: app.logger, onFault: (where) => app.metrics.internal(where) });
  const url = await app.listen();
  app.logger.info(`Switchboard listening on ${url} (GraphQL ${url}/graphql, tRPC ${url}/trpc)`);
  if (app.simulator) {
    // Loud whatever LOG_LEVEL says (nothing here reaches Cloudflare), and JSON like every other line.
    const adminKey = app.devAdminKey
      ? ` No ADMIN_API_KEY: this run's admin key is ${app.devAdminKey} (GraphiQL headers: {"Authorization": "Bearer ${app.devAdminKey}"})`
      : '';
    const banner = {
      level: 'warn',
      time: new Date().toISOString(),
      message:
        `OFFLINE MODE: CLOUDFLARE_API_TOKEN is not set, so every call goes to the built-in simulator of Cloudflare's unified AI API ` +
        `at ${app.simulator.baseUrl}: replies are simulated ("Echo: ..."). Set CLOUDFLARE_ACCOUNT_ID and CLOUDFLARE_API_TOKEN to call ` +
        `real models. GraphiQL: ${url}/graphql${adminKey}`,
      offline: true,
      simulator: app.simulator.baseUrl,
      graphiql: `${url}/graphql`,
      ...(app.devAdminKey && { devAdminKey: app.devAdminKey }),
    };
    process.stderr.write(JSON.stringify(banner) + '\n');
    // The key again on a line of its own, for a person reading the terminal.
    if (app.devAdminKey) process.stderr.write(`\n*** No ADMIN_API_KEY: this run's admin key is ${app.devAdminKey}\n\n`);
  }

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.logger.info(`${signal}: draining (up to ${env.SHUTDOWN_GRACE_MS} ms)`);
    app.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`switchboard: failed to start: ${message}\n`);
  process.exit(1);
});
