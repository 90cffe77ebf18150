// switchboard/client from outside: the package is built as `npm install` builds it (prepare ->
// scripts/build.ts -> dist/), then test/consumer (its own package.json and tsconfigs, `switchboard`
// linked as node_modules/switchboard, as `npm install file:../..` would) is type-checked against
// the emitted declarations under three configurations, compiled, and run with plain node against a
// real server: calls over HTTP (batched), a subscription over SSE and one over WebSocket.
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUserWithKey, startTestServer, type TestServer } from '../helpers/server.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const consumer = join(root, 'test/consumer');
const tsc = join(root, 'node_modules/typescript/bin/tsc');

function run(args: string[], cwd: string, env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, args, { cwd, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 120_000 });
  return { status: result.status, output: `${result.stdout}${result.stderr}`, stdout: result.stdout };
}

/** Asynchronously: the server under test lives in this process and must keep serving meanwhile. */
async function runAsync(args: string[], cwd: string, env: Record<string, string>) {
  const result = await promisify(execFile)(process.execPath, args, { cwd, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 120_000 }).catch(
    (error: { stdout?: string; stderr?: string; code?: number }) => ({ stdout: error.stdout ?? '', stderr: `${error.stderr ?? ''}${String(error)}`, code: error.code ?? 1 }),
  );
  return { status: 'code' in result ? result.code : 0, output: `${result.stdout}${result.stderr}`, stdout: result.stdout };
}

let server: TestServer;

beforeAll(() => {
  const build = run(['--import', 'tsx', 'scripts/build.ts', '--strict'], root);
  expect(build.output).toBe('');
  expect(build.status).toBe(0);
  rmSync(join(consumer, 'node_modules'), { recursive: true, force: true });
  mkdirSync(join(consumer, 'node_modules'), { recursive: true });
  symlinkSync('../../..', join(consumer, 'node_modules/switchboard'), 'dir');
}, 300_000);

afterAll(async () => {
  await server?.close();
});

describe('the built package', () => {
  it('exports ./client as JavaScript plus declarations, with no .ts file in the way', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { exports: Record<string, { types: string; default: string }>; scripts: Record<string, string> };
    expect(pkg.exports['./client']).toEqual({ types: './dist/client/index.d.ts', default: './dist/client/index.js' });
    expect(pkg.exports['.']!.types).toMatch(/\.d\.ts$/);
    expect(pkg.scripts.build).toContain('scripts/build.mjs');
    const dts = readFileSync(join(root, 'dist/client/types.d.ts'), 'utf8');
    expect(dts).toContain('GenerationEvent');
  });
});

describe('a consumer package', () => {
  it.each([
    ['tsconfig.json', 'what tsc --init writes: strict, exactOptionalPropertyTypes, noUncheckedIndexedAccess'],
    ['tsconfig.strict.json', 'plain strict'],
    ['tsconfig.lib-check.json', 'exactOptionalPropertyTypes with the client declarations checked too (skipLibCheck off)'],
  ])('type-checks with %s (%s)', (config) => {
    const check = run([tsc, '--noEmit', '-p', config], consumer);
    expect(check.output).toBe('');
    expect(check.status).toBe(0);
  }, 300_000);

  it('fails to type-check a wrong call (the types are real, not any)', () => {
    const bad = join(consumer, 'src/bad-call.ts');
    try {
      // Written only for this check, then removed.
      writeFileSync(
        bad,
        "import { createSwitchboardClient } from 'switchboard/client';\nconst c = createSwitchboardClient({ url: 'http://x', apiKey: 'k' });\nvoid c.generate.mutate({ model: 1, prompt: 'x' });\nvoid c.usage.report.query({ from: 1, to: '2026-01-01', groupBy: [] });\n",
      );
      const check = run([tsc, '--noEmit', '-p', 'tsconfig.json'], consumer);
      expect(check.status).not.toBe(0);
      expect(check.output).toMatch(/bad-call\.ts\(3,[0-9]+\): error TS2322: Type 'number' is not assignable to type 'string'/);
      expect(check.output).toMatch(/bad-call\.ts\(4,[0-9]+\): error TS2322: Type 'number' is not assignable to type 'string \| Date'/);
    } finally {
      rmSync(bad, { force: true });
    }
  }, 300_000);

  it('compiles and runs with plain node: HTTP, SSE and WebSocket', async () => {
    const compile = run([tsc, '-p', 'tsconfig.json'], consumer);
    expect(compile.output).toBe('');
    server = await startTestServer();
    const { userId, key } = await createUserWithKey(server, 'consumer@example.com');
    const main = await runAsync(['dist/main.js'], consumer, { SWITCHBOARD_URL: server.url, SWITCHBOARD_API_KEY: key });
    expect(main.output.trim().startsWith('{'), main.output).toBe(true);
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
