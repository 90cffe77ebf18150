// The dependency-fault suite's harness: real in-process servers (offline simulator upstream,
// which records every request it receives) whose PostgreSQL and/or Redis connections go through
// a fault proxy (test/helpers/fault-proxy.ts), and the suite's invariants:
//   - no upstream request without a row (each AI request's cf-aig-event-id is a ledger row id);
//   - no row lost, nothing left PENDING once the fault is over;
//   - every refusal UNAVAILABLE or RATE_LIMITED with a retry time; never INTERNAL;
//   - the service answers again within seconds of the fault ending.
import pg from 'pg';
import { expect } from 'vitest';
import { createApp, type App } from '../../src/app.ts';
import { createLogger } from '../../src/platform/logger.ts';
import type { RecordedRequest, Simulator } from '../../src/simulator/server.ts';
import { freshDatabase, quietPool, type FreshDatabase } from '../helpers/database.ts';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy.ts';
import { ADMIN_KEY, testEnv } from '../helpers/server.ts';
import { REDIS_URL } from '../limits/helpers.ts';

export { ADMIN_KEY };
export const MODEL = '@cf/moonshotai/kimi-k2.6';
export const onPostgres = Boolean(process.env.DATABASE_URL);

export interface FaultServer {
  app: App;
  url: string;
  sim: Simulator;
  /** In front of PostgreSQL (undefined on the embedded database). */
  pgProxy?: FaultProxy;
  /** In front of Redis when the server was started with `redis: true`. */
  redisProxy?: FaultProxy;
  /** Reads the ledger around the proxy (never faulted). */
  rows(where?: string, params?: unknown[]): Promise<Array<{ id: string; status: string; errorCode: string | null; ownerId: string | null; totalTokens: number }>>;
  close(): Promise<void>;
}

export interface FaultServerOptions {
  env?: Record<string, string>;
  redis?: boolean;
  /** Share another server's database (a second instance) instead of a fresh one. */
  database?: FreshDatabase;
}

/** One more instance, or the first one on a fresh database, with its dependencies behind proxies. */
export async function startFaultServer({ env = {}, redis = false, database }: FaultServerOptions = {}): Promise<FaultServer & { database: FreshDatabase }> {
  const fresh = database ?? (await freshDatabase());
  const pgProxy = fresh.databaseUrl ? await startFaultProxy(hostPort(fresh.databaseUrl, 5432)) : undefined;
  const redisProxy = redis ? await startFaultProxy(hostPort(REDIS_URL, 6379)) : undefined;
  const config = testEnv(
    { databaseUrl: pgProxy && fresh.databaseUrl ? pgProxy.rewrite(fresh.databaseUrl) : undefined, dataDir: fresh.dataDir },
    {
      ...(redisProxy && { REDIS_URL: redisProxy.rewrite(REDIS_URL), REDIS_KEY_PREFIX: `sbfault:${Math.random().toString(36).slice(2)}:`, REDIS_TIMEOUT_MS: '500' }),
      ...env,
    },
  );
  const app = await createApp(config, { logger: createLogger(process.env.FAULT_LOG ? 'warn' : 'silent') });
  const url = await app.listen(0);
  const direct = fresh.databaseUrl ? quietPool(fresh.databaseUrl) : undefined;
  return {
    app,
    url,
    sim: app.simulator!,
    pgProxy,
    redisProxy,
    database: fresh,
    async rows(where = 'TRUE', params = []) {
      const sql = `SELECT "id", "status", "errorCode", "ownerId", "totalTokens" FROM "UsageRecord" WHERE ${where} ORDER BY "createdAt"`;
      if (direct) return (await direct.query(sql, params)).rows;
      return app.db.prisma.$queryRawUnsafe(sql, ...params);
    },
    async close() {
      pgProxy?.pass();
      redisProxy?.pass();
      await app.close();
      await direct?.end();
      await pgProxy?.close();
      await redisProxy?.close();
      if (!database) await fresh.cleanup();
    },
  };
}

function hostPort(url: string, defaultPort: number): { host: string; port: number } {
  const u = new URL(url);
  return { host: u.hostname || '127.0.0.1', port: Number(u.port || defaultPort) };
}

/** The AI requests the simulator received (each one a billed upstream call). */
export const aiRequests = (sim: Simulator): RecordedRequest[] => sim.requests.filter((r) => r.method === 'POST' && r.path.includes('/ai/'));
export const eventIdOf = (r: RecordedRequest): string => String(r.headers['cf-aig-event-id']);

export interface Answer {
  status: number;
  code: string;
  retryAfterMs?: number;
  retryAfterHeader: string | null;
}

/** A tRPC generate over plain HTTP: its status, contract code ('OK' on success) and retry hints. */
export async function generate(url: string, key: string, prompt: string, extra: Record<string, unknown> = {}): Promise<Answer> {
  try {
    const res = await fetch(`${url}/trpc/generate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ model: MODEL, prompt, ...extra }),
    });
    const body = (await res.json()) as { result?: unknown; error?: { data: { appCode: string; retryAfterMs?: number } } };
    return {
      status: res.status,
      code: body.error ? body.error.data.appCode : 'OK',
      retryAfterMs: body.error?.data.retryAfterMs,
      retryAfterHeader: res.headers.get('retry-after'),
    };
  } catch (error) {
    return { status: 0, code: `FETCH_FAILED ${String(error)}`, retryAfterHeader: null };
  }
}

/** A streamed generate over GraphQL SSE (POST, text/event-stream): OK when it completed, else the error code. */
export async function generateStream(url: string, key: string, prompt: string, onFirstDelta?: () => void, extra: Record<string, unknown> = {}): Promise<Answer & { deltas: number }> {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${key}` },
    body: JSON.stringify({
      query: 'subscription($i: GenerateInput!) { generateStream(input: $i) { __typename ... on GenerationCompleted { generation { id } } } }',
      variables: { i: { model: MODEL, prompt, ...extra } },
    }),
  });
  let text = '';
  let deltas = 0;
  const decoder = new TextDecoder();
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    text += decoder.decode(chunk, { stream: true });
    const now = (text.match(/TextDelta/g) ?? []).length;
    if (now > 0 && deltas === 0) onFirstDelta?.();
    deltas = now;
  }
  const code = /"code":"([A-Z_]+)"/.exec(text)?.[1] ?? (text.includes('GenerationCompleted') ? 'OK' : 'NONE');
  const retry = /"retryAfterMs":(\d+)/.exec(text)?.[1];
  return { status: res.status, code, retryAfterMs: retry === undefined ? undefined : Number(retry), retryAfterHeader: res.headers.get('retry-after'), deltas };
}

/** Every answer is a success or a retryable refusal that says when to retry; never INTERNAL. */
export function expectRetryableOrOk(answers: readonly Answer[]): void {
  for (const a of answers) {
    if (a.code === 'OK') continue;
    expect(['UNAVAILABLE', 'RATE_LIMITED'], JSON.stringify(a)).toContain(a.code);
    expect(a.retryAfterMs ?? 0, JSON.stringify(a)).toBeGreaterThan(0);
  }
}

/** Polls until `ok`, or fails after timeoutMs; returns how long it took. */
export async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 10_000): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await probe().catch(() => false)) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * The ledger invariant once a fault is over: every AI request the simulator received has its row
 * (by event id), nothing stays PENDING, and there is no row without a request (but for attempts
 * aborted because their row could not be inserted: their request may not have left).
 */
export async function expectEveryRequestRecorded(server: FaultServer, timeoutMs = 10_000): Promise<void> {
  let problem = '';
  const ok = async () => {
    const ids = new Set(aiRequests(server.sim).map(eventIdOf));
    const rows = await server.rows();
    const byId = new Set(rows.map((r) => r.id));
    const missing = [...ids].filter((id) => !byId.has(id));
    // A row without a request: only an attempt aborted because its row could not be written,
    // whose request may or may not have left (recorded ERROR / UNAVAILABLE, an upper bound).
    const extra = rows.filter((r) => !ids.has(r.id) && !(r.status === 'ERROR' && r.errorCode === 'UNAVAILABLE')).map((r) => r.id);
    const pending = rows.filter((r) => r.status === 'PENDING').map((r) => r.id);
    problem = JSON.stringify({ requests: ids.size, rows: rows.length, missing, extra, pending });
    return missing.length === 0 && extra.length === 0 && pending.length === 0;
  };
  await until('every upstream request recorded and finished', ok, timeoutMs).catch(() => {
    throw new Error(`ledger invariant broken: ${problem}`);
  });
}
