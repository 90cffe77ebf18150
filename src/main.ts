// Entry point: environment -> app -> listen; SIGTERM/SIGINT drain and close.
import 'dotenv/config';
import { createApp } from './app.ts';
import { EnvError, loadEnv } from './env.ts';

async function main(): Promise<void> {
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
  const app = await createApp(env);
  const url = await app.listen();
  app.logger.info(`Switchboard listening on ${url} (GraphQL ${url}/graphql, tRPC ${url}/trpc)`);

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
