// Keys stay out of URLs. The ./client export sends the key in a header on every transport (SSE
// included: it used to put it in `connectionParams`, i.e. the query string, and to use Node 20's
// experimental EventSource); a key in a query string is refused in production unless
// ALLOW_KEYS_IN_URL=true, and no log line ever holds it.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSwitchboardClient } from '../../packages/client/src/index.ts';
import { keysInUrlAllowed, loadEnv } from '../../src/platform/env.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { startSimulator, type Simulator } from '../../src/simulator/server.ts';
import { ADMIN_KEY, startTestServer, type TestServer } from '../helpers/server.ts';

const ADMIN = 'production-admin-key-0123456789abcdef';
let sim: Simulator;
const lines: string[] = [];
const servers: TestServer[] = [];

const production = (extra: Record<string, string> = {}) => ({
  NODE_ENV: 'production',
  CLOUDFLARE_API_TOKEN: 'prod-token',
  CLOUDFLARE_ACCOUNT_ID: 'prod-account',
  CLOUDFLARE_API_BASE_URL: sim.baseUrl,
  ADMIN_API_KEY: ADMIN,
  METRICS_TOKEN: 'prod-metrics-token-0123456789',
  ...extra,
});

async function start(env: Record<string, string>): Promise<TestServer> {
  const server = await startTestServer(env, { logger: createLogger('debug', [], (line) => void lines.push(line)) });
  servers.push(server);
  return server;
}

let server: TestServer;
beforeAll(async () => {
  sim = await startSimulator();
  server = await start(production());
}, 180_000);
afterAll(async () => {
  for (const s of servers) await s.close();
  await sim?.close();
});

/** A user and its key, made with whichever admin key the server was started with. */
async function createUserWithKey(server: TestServer, email: string) {
  const admin = server.trpc(server.app.env.ADMIN_API_KEY ?? ADMIN_KEY);
  const user = await admin.admin.createUser.mutate({ email });
  return { key: (await admin.admin.createApiKey.mutate({ userId: user.id, name: 'edge' })).secret };
}

const meInUrl = (url: string, key: string) => fetch(`${url}/trpc/me?connectionParams=${encodeURIComponent(JSON.stringify({ authorization: `Bearer ${key}` }))}`);

describe('a key in a query string', () => {
  it('is refused in production (UNAUTHENTICATED) and never logged; the header works', async () => {
    const { key } = await createUserWithKey(server, 'edge-url@example.com');
    const res = await meInUrl(server.url, key);
    expect(res.status).toBe(401);
    const body = (await res.json()) as { error: { data: { appCode: string } } };
    expect(body.error.data.appCode).toBe('UNAUTHENTICATED');
    // an SSE subscription with the key in the URL is refused too
    const sse = await fetch(`${server.url}/trpc/generateStream?input=${encodeURIComponent(JSON.stringify({ model: 'openai/gpt-5.5', prompt: 'x' }))}&connectionParams=${encodeURIComponent(JSON.stringify({ authorization: `Bearer ${key}` }))}`, {
      headers: { accept: 'text/event-stream' },
    });
    const text = await sse.text();
    expect(text).toContain('UNAUTHENTICATED');
    expect(text).not.toContain('"delta"');
    const header = await fetch(`${server.url}/trpc/me`, { headers: { authorization: `Bearer ${key}` } });
    expect(header.status).toBe(200);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.filter((l) => l.includes(key) || l.includes(key.slice(-16)))).toEqual([]);
  });

  it('is accepted in production with ALLOW_KEYS_IN_URL=true', async () => {
    const allowed = await start(production({ ALLOW_KEYS_IN_URL: 'true' }));
    expect((await meInUrl(allowed.url, (await createUserWithKey(allowed, 'edge-url2@example.com')).key)).status).toBe(200);
  }, 120_000);

  it('ALLOW_KEYS_IN_URL defaults to true outside production and false in it', () => {
    const base = { CLOUDFLARE_API_TOKEN: 't', CLOUDFLARE_ACCOUNT_ID: 'a', ADMIN_API_KEY: ADMIN, METRICS_TOKEN: 'm' };
    expect(keysInUrlAllowed(loadEnv({ ...base, NODE_ENV: 'development' }))).toBe(true);
    expect(keysInUrlAllowed(loadEnv({ ...base, NODE_ENV: 'production' }))).toBe(false);
    expect(keysInUrlAllowed(loadEnv({ ...base, NODE_ENV: 'production', ALLOW_KEYS_IN_URL: 'true' }))).toBe(true);
    expect(keysInUrlAllowed(loadEnv({ ...base, NODE_ENV: 'development', ALLOW_KEYS_IN_URL: 'false' }))).toBe(false);
  });
});

describe('the ./client export', () => {
  it('streams over SSE with the key in a header (a server refusing URL keys serves it)', async () => {
    const { key } = await createUserWithKey(server, 'edge-client@example.com');
    const client = createSwitchboardClient({ url: server.url, apiKey: key });
    const types: string[] = [];
    await new Promise<void>((resolve, reject) => {
      client.generateStream.subscribe({ model: 'openai/gpt-5.5', prompt: 'one two three' }, { onData: (e) => types.push(e.type), onError: reject, onComplete: resolve });
    });
    expect(types).toContain('delta');
    expect(types.at(-1)).toBe('completed');
    expect(lines.filter((l) => l.includes(key))).toEqual([]);
  });

  it('under plain Node 20 prints no "EventSource is experimental" warning', async () => {
    const { key } = await createUserWithKey(server, 'edge-client2@example.com');
    const fixture = fileURLToPath(new URL('./fixtures/client-sse.ts', import.meta.url));
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--import', 'tsx', fixture], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', SWITCHBOARD_URL: server.url, SWITCHBOARD_API_KEY: key },
      timeout: 120_000,
    });
    expect(stderr).not.toMatch(/experimental/i);
    expect((JSON.parse(stdout) as { types: string[] }).types.at(-1)).toBe('completed');
  }, 150_000);
});
