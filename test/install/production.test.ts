// The Dockerfile's and compose.yaml's steps, run outside a container (no Docker engine in CI):
// the repository's files in an empty folder, `npm ci --omit=dev` (postinstall: prisma generate
// and the build), `npm run build`, then `npm start` (plain node on dist/) in production mode
// against the simulator; on PostgreSQL, two instances share one database as compose runs them.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { holderAlive, LOCK_FILE } from '../../src/db/pglite-lock.ts';
import { startSimulator, type Simulator } from '../../src/simulator/server.ts';
import { freshDatabase, type FreshDatabase } from '../helpers/database.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);
const ADMIN = 'production-admin-key-0123456789abcdef0123';
const TOKEN = 'sim-production-token';

let dir: string;
let sim: Simulator;
let db: FreshDatabase;
let install: { stdout: string; stderr: string };
const children: ChildProcess[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sb-production-'));
  // What a clean clone holds (tracked and new, never ignored files such as node_modules or dist).
  const { stdout } = await run('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], { cwd: root, maxBuffer: 64 * 1024 * 1024 });
  for (const file of stdout.split('\0').filter(Boolean)) {
    // A symlink is not copied: a node_modules linked from elsewhere (which `node_modules/` in
    // .gitignore does not match) would let this folder's npm ci empty the folder it points to.
    if (file.startsWith('test/') || !existsSync(join(root, file)) || lstatSync(join(root, file)).isSymbolicLink()) continue;
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    cpSync(join(root, file), join(dir, file));
  }
  // A fresh machine's install: none of the test run's database settings.
  const env = { ...process.env, NODE_ENV: undefined, DATABASE_URL: undefined, npm_config_loglevel: 'warn' };
  install = await run('npm', ['ci', '--omit=dev', '--no-audit', '--no-fund'], { cwd: dir, env, timeout: 300_000, maxBuffer: 16 * 1024 * 1024 });
  await run('npm', ['run', 'build'], { cwd: dir, env, timeout: 120_000 });
  sim = await startSimulator({ token: TOKEN });
  db = await freshDatabase();
}, 480_000);

/** npm and the node it started: the whole process group (npm start leaves node behind when only npm is killed). */
const killGroup = (child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL') => {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    // already gone
  }
};

afterAll(async () => {
  for (const child of children) killGroup(child);
  await sim?.close();
  await db?.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

function startInstance(): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn('npm', ['start', '--silent'], {
    cwd: dir,
    detached: true,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      NODE_ENV: 'production',
      PORT: '0',
      LOG_LEVEL: 'info',
      ADMIN_API_KEY: ADMIN,
      METRICS_TOKEN: 'metrics-token',
      CLOUDFLARE_ACCOUNT_ID: 'acc-production',
      CLOUDFLARE_API_TOKEN: TOKEN,
      CLOUDFLARE_API_BASE_URL: sim.baseUrl,
      ...(db.databaseUrl ? { DATABASE_URL: db.databaseUrl } : { DATA_DIR: db.dataDir }),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listening line: ${out}`)), 120_000);
    const read = (chunk: Buffer) => {
      out += chunk.toString();
      const url = /Switchboard listening on (http:\/\/[0-9.:]+)/.exec(out)?.[1];
      if (url) {
        clearTimeout(timer);
        resolve({ url, child });
      }
    };
    child.stdout!.on('data', read);
    child.stderr!.on('data', read);
    child.once('exit', (code) => reject(new Error(`npm start exited (${code}): ${out}`)));
  });
}

async function generate(url: string, prompt: string) {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN}` },
    body: JSON.stringify({ query: 'mutation($p: String!) { generate(input: { model: "openai/gpt-5.5", prompt: $p }) { text } }', variables: { p: prompt } }),
  });
  return (await res.json()) as { data?: { generate: { text: string } }; errors?: unknown[] };
}

function jsFiles(path: string): string[] {
  return readdirSync(path).flatMap((name) => {
    const full = join(path, name);
    return statSync(full).isDirectory() ? jsFiles(full) : full.endsWith('.js') ? [full] : [];
  });
}

describe('a production install (npm ci --omit=dev, npm run build, npm start)', () => {
  it('installs without engine warnings and without the test tools', () => {
    expect(`${install.stdout}${install.stderr}`).not.toMatch(/EBADENGINE/);
    // typescript arrives anyway as a peer of @prisma/client and tRPC; the test and bench tools do not.
    for (const dev of ['vitest', 'playwright-core', 'fast-check', 'openai']) expect(existsSync(join(dir, 'node_modules', dev))).toBe(false);
    expect(existsSync(join(dir, 'dist/main.js'))).toBe(true);
    expect(existsSync(join(dir, 'dist/dashboard/index.html'))).toBe(true);
  });

  it('the built server imports only node built-ins and `dependencies`', () => {
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const allowed = new Set([...Object.keys(pkg.dependencies), ...builtinModules]);
    const imported = new Set<string>();
    for (const file of jsFiles(join(dir, 'dist')).filter((f) => !f.includes('/dashboard/'))) {
      for (const m of readFileSync(file, 'utf8').matchAll(/(?:^|\n)\s*(?:import|export)[^'"\n]*?from\s*["']([^."'][^"']*)["']|import\(\s*["']([^."'][^"']*)["']\s*\)/g)) {
        const spec = (m[1] ?? m[2])!.replace(/^node:/, '');
        imported.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
      }
    }
    expect(imported.size).toBeGreaterThan(10);
    expect([...imported].filter((name) => !allowed.has(name))).toEqual([]);
  });

  it('serves calls with plain node, one instance per database (two on PostgreSQL, as compose.yaml runs them)', async () => {
    const { url: first } = await startInstance();
    expect((await fetch(`${first}/readyz`)).status).toBe(200);
    expect((await generate(first, 'from the first instance')).data?.generate.text).toBe('Echo: from the first instance');
    if (!db.databaseUrl) return;
    const { url: second } = await startInstance();
    expect((await generate(second, 'from the second instance')).data?.generate.text).toBe('Echo: from the second instance');
    const res = await fetch(`${first}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN}` },
      body: JSON.stringify({ query: '{ usageReport(input: { from: "2000-01-01T00:00:00Z", to: "2100-01-01T00:00:00Z", groupBy: [], allUsers: true }) { totals { requests } } }' }),
    });
    expect(((await res.json()) as { data: { usageReport: { totals: { requests: number } } } }).data.usageReport.totals.requests).toBe(2);
  }, 240_000);

  it('a log reader that went away (stderr closed) neither stops the server serving nor keeps SIGTERM from ending it', async () => {
    for (const child of children.splice(0)) killGroup(child);
    // The embedded database: one process per directory; the next starts once the killed one is gone.
    const lock = join(db.dataDir, LOCK_FILE);
    for (const deadline = Date.now() + 20_000; existsSync(lock) && holderAlive(Number(readFileSync(lock, 'utf8'))) && Date.now() < deadline; ) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const { url, child } = await startInstance();
    children.push(child);
    child.stdout!.destroy();
    child.stderr!.destroy();
    for (let i = 0; i < 5; i++) expect((await generate(url, `after the pipe closed ${i}`)).data?.generate.text).toBe(`Echo: after the pipe closed ${i}`);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    killGroup(child, 'SIGTERM');
    const deadline = Date.now() + 20_000;
    let serving = true;
    while (serving && Date.now() < deadline) {
      serving = await fetch(`${url}/healthz`).then(() => true, () => false);
      if (serving) await new Promise((r) => setTimeout(r, 200));
    }
    expect(serving).toBe(false);
  }, 120_000);
});
