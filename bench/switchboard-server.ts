// Switchboard itself, as it runs in production: createApp with a real (non-offline) upstream
// configuration pointed at the simulator process, the embedded database in a fresh temp dir or
// a fresh PostgreSQL database on DATABASE_URL's server, limits on (high enough never to refuse,
// so every call is checked and reserved), silent logs. It creates an ordinary USER with an API
// key for the load, and serves the ledger's row count on a side port for the soak's check.
import { createServer } from 'node:http';
import { createApp } from '../src/app.ts';
import { BOOTSTRAP_ADMIN_ID } from '../src/domain/access/access-service.ts';
import { loadEnv } from '../src/platform/env.ts';
import { createLogger } from '../src/platform/logger.ts';
import { boundHeapGrowth } from '../src/platform/heap-growth.ts';
import { freshDatabase } from '../test/helpers/database.ts';
import { announce, onStop } from './lib/announce.ts';

const upstreamBase = process.env.BENCH_UPSTREAM_BASE_URL;
if (!upstreamBase) throw new Error('BENCH_UPSTREAM_BASE_URL is required');

const db = await freshDatabase();
const env = loadEnv({
  NODE_ENV: 'production',
  PORT: '0',
  CLOUDFLARE_API_BASE_URL: upstreamBase,
  CLOUDFLARE_ACCOUNT_ID: 'bench',
  CLOUDFLARE_API_TOKEN: 'bench-token',
  ADMIN_API_KEY: 'bench-admin-key-0123456789abcdef',
  DATABASE_URL: db.databaseUrl,
  DATA_DIR: db.dataDir,
  // production requires a metrics token; BENCH_LOG_LEVEL=info measures with the access lines on
  METRICS_TOKEN: 'bench-metrics-token-0123456789',
  LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'silent',
  DEFAULT_REQUESTS_PER_MINUTE: '100000000',
  DEFAULT_TOKENS_PER_DAY: '2000000000',
  SHUTDOWN_GRACE_MS: '2000',
  ...(process.env.BENCH_HEAP_GROWTH_PERCENT && { HEAP_GROWTH_PERCENT: process.env.BENCH_HEAP_GROWTH_PERCENT }),
  ...(process.env.BENCH_MAX_CONTEXT_TOKENS && { MAX_CONTEXT_TOKENS: process.env.BENCH_MAX_CONTEXT_TOKENS }),
});
// As src/main.ts: the process's heap growth (BENCH_HEAP_GROWTH_PERCENT=0: V8's own heuristic, for A/B).
boundHeapGrowth(env.HEAP_GROWTH_PERCENT);
// BENCH_FAST_PATHS=false: every request through yoga's and tRPC's own handlers (bench/fast-path-ab.ts).
const fastPaths = process.env.BENCH_FAST_PATHS !== 'false';
const app = await createApp(env, { fastPaths, ...(process.env.BENCH_LOG_LEVEL ? {} : { logger: createLogger('silent') }) });
const url = await app.listen(0);

const admin = { userId: BOOTSTRAP_ADMIN_ID, role: 'ADMIN' as const };
const user = await app.services.access.createUser(admin, { email: 'bench@switchboard.local', role: 'USER' });
const { secret } = await app.services.access.createApiKey(admin, { userId: user.id, name: 'bench' });

// The long-chat scenario: one conversation of the bench user with BENCH_LONG_CONVERSATION messages
// (user and assistant alternating, ~100 characters each), inserted directly.
const longMessages = Number(process.env.BENCH_LONG_CONVERSATION ?? 0);
let longConversationId: string | undefined;
if (longMessages > 0) {
  longConversationId = crypto.randomUUID();
  await app.db.prisma.$executeRawUnsafe(`INSERT INTO "Conversation" ("id", "userId", "title", "model") VALUES ($1::uuid, $2::uuid, 'long', 'openai/gpt-5.5')`, longConversationId, user.id);
  await app.db.prisma.$executeRawUnsafe(
    `INSERT INTO "Message" ("id", "conversationId", "position", "role", "content", "status")
     SELECT gen_random_uuid(), $1::uuid, g, (CASE WHEN g % 2 = 0 THEN 'USER' ELSE 'ASSISTANT' END)::"MessageRole",
            'message ' || g || ': ' || repeat('lorem ipsum ', 8), 'COMPLETE'::"MessageStatus"
     FROM generate_series(0, $2::int - 1) g`,
    longConversationId,
    longMessages,
  );
}

// Side port: the ledger's rows (GET /ledger-count), after every row handed in is committed: all
// rows, distinct (callId, attempt) pairs among those that carry a callId, and rows left PENDING.
const LEDGER_COUNT = `SELECT count(*)::int AS count,
   count(DISTINCT ("callId", attempt)) FILTER (WHERE "callId" IS NOT NULL)::int AS attempts,
   count(*) FILTER (WHERE status = 'PENDING')::int AS pending
 FROM "UsageRecord"`;
const side = createServer((req, res) => {
  if (req.url !== '/ledger-count') return void res.writeHead(404).end();
  app.ledger
    .drain()
    .then(() => app.db.prisma.$queryRawUnsafe<Array<{ count: number; attempts: number; pending: number }>>(LEDGER_COUNT))
    .then(
      ([counts]) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(counts)),
      (error: unknown) => res.writeHead(500).end(String(error)),
    );
});
await new Promise<void>((resolve) => side.listen(0, '127.0.0.1', resolve));
const sideAddress = side.address();
const sidePort = typeof sideAddress === 'object' && sideAddress ? sideAddress.port : 0;

announce({
  url,
  key: secret,
  sideUrl: `http://127.0.0.1:${sidePort}`,
  database: db.databaseUrl ? 'postgresql' : 'embedded',
  metricsToken: env.METRICS_TOKEN,
  longConversationId,
  // The PostgreSQL database created for this server, whose backends the runner measures.
  pgDatabase: db.databaseUrl ? new URL(db.databaseUrl).pathname.slice(1) : undefined,
});
onStop(async () => {
  side.close();
  await app.close();
  await db.cleanup();
});
