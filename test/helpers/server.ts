// Starts the real Switchboard app on port 0 against a fresh database (embedded or PostgreSQL,
// as DATABASE_URL selects) and gives tests real clients.
import { createTRPCClient, httpBatchLink, httpLink } from '@trpc/client';
import { createApp, type App, type AppOverrides } from '../../src/app.ts';
import { loadEnv } from '../../src/platform/env.ts';
import { createLogger } from '../../src/platform/logger.ts';
import type { AppRouter } from '../../src/trpc/router.ts';
import { freshDatabase } from './database.ts';

export const ADMIN_KEY = 'test-admin-key-0123456789abcdef';

export interface TestServer {
  app: App;
  url: string;
  adminKey: string;
  gql<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>, key?: string | null): Promise<GraphQLResponse<T>>;
  trpc(key?: string | null, batch?: boolean): ReturnType<typeof createTRPCClient<AppRouter>>;
  close(): Promise<void>;
}

export interface GraphQLResponse<T> {
  status: number;
  data?: T | null;
  errors?: Array<{ message: string; path?: string[]; extensions?: Record<string, unknown> }>;
}

/** The test app's configuration on a given database (offline, port 0, quiet), with overrides. */
export function testEnv(db: { databaseUrl?: string; dataDir: string }, env: Record<string, string | undefined> = {}) {
  return loadEnv({
    NODE_ENV: 'test',
    PORT: '0',
    ADMIN_API_KEY: ADMIN_KEY,
    DATABASE_URL: db.databaseUrl,
    DATA_DIR: db.dataDir,
    LOG_LEVEL: 'silent',
    SHUTDOWN_GRACE_MS: '2000',
    ...env,
  });
}

export async function startTestServer(env: Record<string, string | undefined> = {}, overrides: AppOverrides = {}): Promise<TestServer> {
  const db = await freshDatabase();
  const config = testEnv(db, env);
  const app = await createApp(config, { logger: createLogger('silent'), ...overrides });
  const url = await app.listen(0);

  return {
    app,
    url,
    adminKey: ADMIN_KEY,
    async gql(query, variables, key = ADMIN_KEY) {
      const res = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(key && { authorization: `Bearer ${key}` }) },
        body: JSON.stringify({ query, variables }),
      });
      return { status: res.status, ...((await res.json()) as object) };
    },
    trpc(key = ADMIN_KEY, batch = true) {
      const headers = () => (key ? { authorization: `Bearer ${key}` } : {});
      const link = batch ? httpBatchLink({ url: `${url}/trpc`, headers, maxItems: 10 }) : httpLink({ url: `${url}/trpc`, headers });
      return createTRPCClient<AppRouter>({ links: [link] });
    },
    async close() {
      await app.close();
      await db.cleanup();
    },
  };
}

/** Creates a user (as admin) and a key for it; returns the user id and the key. */
export async function createUserWithKey(server: TestServer, email: string, role: 'USER' | 'ADMIN' = 'USER') {
  const admin = server.trpc();
  const user = await admin.admin.createUser.mutate({ email, role });
  const created = await admin.admin.createApiKey.mutate({ userId: user.id, name: 'test' });
  return { userId: user.id, key: created.secret };
}
