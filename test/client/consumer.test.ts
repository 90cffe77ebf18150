// @switchboard/client from outside, as another team installs it: both packages are built and
// packed (npm pack), the client's tarball alone is installed into an empty project holding
// test/consumer (its own package.json and tsconfigs), which is type-checked under three
// configurations (skipLibCheck off in one), compiled, and run with plain node against a real
// server: calls over HTTP (batched), a subscription over SSE and one over WebSocket, a report.
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUserWithKey, startTestServer, type TestServer } from '../helpers/server.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const tsc = join(root, 'node_modules/typescript/bin/tsc');
/** Server packages a client must never pull in. */
const SERVER_ONLY = ['prisma', '@prisma/client', '@electric-sql/pglite', 'graphql-yoga', '@pothos/core', 'vite', 'chart.js', 'pg', 'ioredis', 'zod'];

function run(args: string[], cwd: string, env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, args, { cwd, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 300_000 });
  return { status: result.status, output: `${result.stdout}${result.stderr}`, stdout: result.stdout };
}

/** Asynchronously: the server under test lives in this process and must keep serving meanwhile. */
async function runAsync(args: string[], cwd: string, env: Record<string, string>) {
  const result = await promisify(execFile)(process.execPath, args, { cwd, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 120_000 }).catch(
    (error: { stdout?: string; stderr?: string; code?: number }) => ({ stdout: error.stdout ?? '', stderr: `${error.stderr ?? ''}${String(error)}`, code: error.code ?? 1 }),
  );
  return { status: 'code' in result ? result.code : 0, output: `${result.stdout}${result.stderr}`, stdout: result.stdout };
}

const npm = (args: string[], cwd: string) =>
  promisify(execFile)('npm', args, { cwd, encoding: 'utf8', timeout: 300_000, maxBuffer: 16 * 1024 * 1024, env: { ...process.env, NODE_ENV: undefined, npm_config_loglevel: 'warn', npm_config_update_notifier: 'false' } });

let server: TestServer | undefined;
let consumer: string;
let packs: string;
let install: { stdout: string; stderr: string };

beforeAll(async () => {
  const build = run(['--import', 'tsx', 'scripts/build.ts', '--strict'], root);
  expect(build.output).toBe('');
  expect(build.status).toBe(0);
  expect(run(['scripts/build.mjs', '--server-only'], root, { npm_config_loglevel: 'silent' }).status).toBe(0);
  packs = mkdtempSync(join(tmpdir(), 'sb-packs-'));
  await npm(['pack', '--pack-destination', packs, './packages/client'], root);
  await npm(['pack', '--pack-destination', packs, '--ignore-scripts'], root);
  consumer = mkdtempSync(join(tmpdir(), 'sb-consumer-'));
  cpSync(join(root, 'test/consumer'), consumer, { recursive: true, filter: (src) => !/node_modules|dist/.test(src.slice(root.length)) });
  const tarball = readdirSync(packs).find((f) => f.startsWith('switchboard-client-'))!;
  cpSync(join(packs, tarball), join(consumer, 'switchboard-client.tgz'));
  install = await npm(['install', '--no-audit', '--no-fund', '--foreground-scripts'], consumer);
  // The type-checks need Node's types; the consumer would install them as a dev dependency.
  mkdirSync(join(consumer, 'node_modules/@types'), { recursive: true });
  symlinkSync(join(root, 'node_modules/@types/node'), join(consumer, 'node_modules/@types/node'), 'dir');
  symlinkSync(join(root, 'node_modules/undici-types'), join(consumer, 'node_modules/undici-types'), 'dir');
}, 600_000);

afterAll(async () => {
  await server?.close();
  rmSync(consumer, { recursive: true, force: true });
  rmSync(packs, { recursive: true, force: true });
});

describe('the packed packages', () => {
  it('@switchboard/client: dist only, no install script, declarations importing only tRPC', async () => {
    const { stdout } = await npm(['pack', '--dry-run', '--json', './packages/client'], root);
    const [packed] = JSON.parse(stdout) as Array<{ files: Array<{ path: string }> }>;
    const files = packed!.files.map((f) => f.path).sort();
    expect(files).toEqual(expect.arrayContaining(['dist/index.js', 'dist/index.d.ts', 'dist/graphql-env.d.ts', 'package.json']));
    expect(files.filter((f) => !f.startsWith('dist/') && f !== 'package.json')).toEqual([]);
    const pkg = JSON.parse(readFileSync(join(root, 'packages/client/package.json'), 'utf8')) as { scripts?: object; exports: Record<string, unknown> };
    expect(pkg.scripts).toBeUndefined();
    const dts = readFileSync(join(root, 'packages/client/dist/index.d.ts'), 'utf8');
    expect(dts).toContain('GenerationEvent');
    expect([...dts.matchAll(/from '([^']+)'/g)].map((m) => m[1]).filter((m) => !m!.startsWith('@trpc/'))).toEqual([]);
  });

  it('switchboard (the server): the built JavaScript, migrations and the client build, no sources or tests', async () => {
    const { stdout } = await npm(['pack', '--dry-run', '--json', '--ignore-scripts'], root);
    const files = (JSON.parse(stdout) as Array<{ files: Array<{ path: string }> }>)[0]!.files.map((f) => f.path);
    expect(files).toEqual(expect.arrayContaining(['dist/main.js', 'dist/app.js', 'package.json', 'packages/client/dist/index.js']));
    expect(files.some((f) => f.startsWith('prisma/migrations/'))).toBe(true);
    expect(files.filter((f) => f.startsWith('src/') || f.startsWith('test/'))).toEqual([]);
  });
});

describe('a consumer installing the client tarball alone', () => {
  it('pulls no server dependency, prints no warning and runs no install script', () => {
    expect(`${install.stdout}${install.stderr}`).not.toMatch(/warn|EBADENGINE|experimental/i);
    for (const name of SERVER_ONLY) expect(existsSync(join(consumer, 'node_modules', name)), name).toBe(false);
    expect(existsSync(join(consumer, 'node_modules/@switchboard/client/dist/index.js'))).toBe(true);
  });

  it.each([
    ['tsconfig.json', 'what tsc --init writes: strict, exactOptionalPropertyTypes, noUncheckedIndexedAccess'],
    ['tsconfig.strict.json', 'plain strict'],
    ['tsconfig.lib-check.json', 'exactOptionalPropertyTypes with the client declarations checked too (skipLibCheck off)'],
  ])('type-checks with %s (%s)', (config) => {
    const check = run([tsc, '--noEmit', '-p', config], consumer);
    expect(check.output).toBe('');
    expect(check.status).toBe(0);
  }, 300_000);

  it('refuses every wrong call of src/wrong-calls.ts (each line carries @ts-expect-error)', () => {
    const wrong = readFileSync(join(consumer, 'src/wrong-calls.ts'), 'utf8');
    const expected = wrong.split('\n').filter((l) => l.trim().startsWith('// @ts-expect-error')).length;
    expect(expected).toBeGreaterThanOrEqual(10);
    // Without the directives every one of those lines must be an error.
    const bare = join(consumer, 'src/wrong-calls-bare.ts');
    try {
      writeFileSync(bare, wrong.replaceAll('// @ts-expect-error', '// was expected to fail:'));
      const check = run([tsc, '--noEmit', '-p', 'tsconfig.json'], consumer);
      const failing = new Set([...check.output.matchAll(/wrong-calls-bare\.ts\((\d+),\d+\): error/g)].map((m) => m[1]));
      expect(failing.size).toBe(expected);
    } finally {
      rmSync(bare, { force: true });
    }
  }, 300_000);

  it('compiles and runs with plain node: HTTP, SSE and WebSocket', async () => {
    const compile = run([tsc, '-p', 'tsconfig.json'], consumer);
    expect(compile.output).toBe('');
    server = await startTestServer();
    const { userId, key } = await createUserWithKey(server, 'consumer@example.com');
    const main = await runAsync(['dist/main.js'], consumer, { SWITCHBOARD_URL: server.url, SWITCHBOARD_API_KEY: key });
    expect(main.output.trim().startsWith('{'), main.output).toBe(true);
    expect(main.output).not.toMatch(/ExperimentalWarning|experimental/i);
    expect(main.status).toBe(0);
    const out = JSON.parse(main.stdout) as {
      me: { id: string };
      http: { id: string; text: string; totalTokens: number };
      report: { requests: number; models: string[] };
      sse: { types: string[]; text: string; id: string };
      ws: { types: string[]; text: string; id: string; conversationId: string };
    };
    expect(out.me.id).toBe(userId);
    expect(out.http.text.length).toBeGreaterThan(0);
    expect(out.http.totalTokens).toBeGreaterThan(0);
    expect(out.report).toEqual({ requests: 1, models: ['openai/gpt-5.5'] });
    expect(out.sse.types.at(-1)).toBe('completed');
    expect(out.sse.types).toContain('delta');
    expect(out.sse.text.length).toBeGreaterThan(0);
    expect(out.ws.types[0]).toBe('conversationStarted');
    expect(out.ws.types.at(-1)).toBe('completed');
    expect(out.ws.text.length).toBeGreaterThan(0);

    // Each call left its ledger row, with the transport that carried it.
    const rows = await server.app.db.prisma.usageRecord.findMany({ where: { userId }, select: { id: true, transport: true, conversationId: true } });
    const transportOf = new Map(rows.map((r) => [r.id, r.transport]));
    expect(transportOf.get(out.http.id)).toBe('trpc-http');
    expect(transportOf.get(out.sse.id)).toBe('trpc-sse');
    expect(transportOf.get(out.ws.id)).toBe('trpc-ws');
    expect(rows.find((r) => r.id === out.ws.id)?.conversationId).toBe(out.ws.conversationId);
  }, 300_000);
});
