// `npm run reconcile -- --from ISO --to ISO [--gateway ID]` as a real child process: a server
// (same database) makes real calls to a simulator started here, stops, and the CLI reconciles the
// range against that simulator's logs (CLOUDFLARE_API_BASE_URL). It prints the run as JSON and
// exits 0 when the run is OK, 1 when it FAILED (here: a 503 on the logs API, ledger untouched).
// The server is stopped before the CLI runs: the embedded database is single-process.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import { openDatabase } from '../../src/db/index.ts';
import { loadEnv } from '../../src/platform/env.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { startSimulator, type Simulator } from '../../src/simulator/server.ts';
import { freshDatabase, type FreshDatabase } from '../helpers/database.ts';
import { ADMIN_KEY } from '../helpers/server.ts';
import { postTrpc } from '../limits/helpers.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TOKEN = 'cli-sim-token-0123456789';
const ACCOUNT = 'cli-account';

let sim: Simulator;
let db: FreshDatabase;
let start: Date;
const ids: string[] = [];

const cloudflare = () => ({ CLOUDFLARE_API_TOKEN: TOKEN, CLOUDFLARE_ACCOUNT_ID: ACCOUNT, CLOUDFLARE_API_BASE_URL: sim.baseUrl });
const where = () => ({ ...(db.databaseUrl && { DATABASE_URL: db.databaseUrl }), DATA_DIR: db.dataDir });

beforeAll(async () => {
  sim = await startSimulator({ token: TOKEN });
  db = await freshDatabase();
  const env = loadEnv({ NODE_ENV: 'test', PORT: '0', ADMIN_API_KEY: ADMIN_KEY, LOG_LEVEL: 'silent', SHUTDOWN_GRACE_MS: '2000', UPSTREAM_MAX_RETRIES: '0', ...where(), ...cloudflare() });
  const app = await createApp(env, { logger: createLogger('silent') });
  try {
    const url = await app.listen(0);
    start = new Date(Date.now() - 1000);
    for (let i = 0; i < 4; i++) {
      const r = await postTrpc<{ id: string }>(url, ADMIN_KEY, 'generate', { model: i % 2 ? 'openai/gpt-5.5' : '@cf/moonshotai/kimi-k2.6', prompt: `reconcile from the command line ${i}` });
      if (!r.ok) throw new Error(JSON.stringify(r.error));
      ids.push(r.data.id);
    }
  } finally {
    await app.close();
  }
}, 120_000);

afterAll(async () => {
  await sim?.close();
  await db?.cleanup();
});

/** `npm run --silent reconcile -- ...args` with only the given environment (plus PATH and HOME). */
function reconcileCli(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', '--silent', 'reconcile', '--', ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NODE_ENV: 'test', LOG_LEVEL: 'silent', RECONCILE_LAG_MS: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

async function rows() {
  const opened = await openDatabase({ databaseUrl: db.databaseUrl, dataDir: db.dataDir });
  try {
    const found = await opened.prisma.usageRecord.findMany({ where: { id: { in: ids } }, select: { id: true, reconciliation: true, upstreamTokensIn: true, upstreamTokensOut: true, totalTokens: true, outputTokens: true } });
    const missingLocal = await opened.prisma.missingLocalLog.findMany({ select: { logId: true } });
    return { byId: new Map(found.map((r) => [r.id, r])), missingLocal: missingLocal.map((m) => m.logId), snapshot: JSON.stringify({ found: found.sort((a, b) => a.id.localeCompare(b.id)), missingLocal }) };
  } finally {
    await opened.close();
  }
}

describe('npm run reconcile', () => {
  it('reconciles a range against the simulator: prints the run as JSON and exits 0; every state lands in the ledger', async () => {
    expect(sim.logs.all('default')).toHaveLength(4);
    const ours = (await rows()).byId.get(ids[1]!)!.outputTokens;
    expect(sim.logs.alter(ids[1]!, { tokens_out: ours + 5 })).toBe(true);
    expect(sim.logs.drop(ids[2]!)).toBe(true);
    const invented = sim.logs.invent('default', { created_at: new Date(start.getTime() + 500).toISOString() });

    const to = new Date(Date.now() + 60_000).toISOString();
    const { code, stdout, stderr } = await reconcileCli(['--from', start.toISOString(), '--to', to, '--gateway', 'default'], { ...where(), ...cloudflare() });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const run = JSON.parse(stdout) as Record<string, unknown>;
    expect(run).toMatchObject({ gatewayId: 'default', status: 'OK', error: null, logsRead: 4, matched: 2, drift: 1, missingUpstream: 1, missingLocal: 1, from: start.toISOString() });
    expect(stdout).not.toContain(TOKEN);

    const after = await rows();
    expect(after.byId.get(ids[0]!)).toMatchObject({ reconciliation: 'MATCHED' });
    expect(after.byId.get(ids[1]!)).toMatchObject({ reconciliation: 'DRIFT', upstreamTokensOut: ours + 5 });
    expect(after.byId.get(ids[2]!)).toMatchObject({ reconciliation: 'MISSING_UPSTREAM', upstreamTokensIn: null });
    expect(after.missingLocal).toEqual([invented.id]);
    // The CLI read the logs with the configured token and account.
    const logReads = sim.requests.filter((r) => r.method === 'GET' && r.path.includes('/ai-gateway/gateways/default/logs'));
    expect(logReads.length).toBeGreaterThan(0);
    expect(logReads.every((r) => r.path.includes(`/accounts/${ACCOUNT}/`))).toBe(true);
  }, 120_000);

  it('a 503 from the logs API: prints the FAILED run with its reason, exits 1, leaves the ledger as it was', async () => {
    const before = await rows();
    sim.logs.alter(ids[0]!, { tokens_out: 777 }); // a change the failed run must not apply
    sim.logs.injectFault(503);
    const { code, stdout } = await reconcileCli(['--from', start.toISOString(), '--to', new Date(Date.now() + 60_000).toISOString()], { ...where(), ...cloudflare() });
    expect(code).toBe(1);
    expect(JSON.parse(stdout)).toMatchObject({ status: 'FAILED', error: 'the Cloudflare logs API failed (HTTP 503)', gatewayId: 'default' });
    expect((await rows()).snapshot).toBe(before.snapshot);
  }, 120_000);
});
