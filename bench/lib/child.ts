// Runner-side: starts a bench server as its own Node process (`node --import tsx <file>`, or,
// for Switchboard, plain `node` on the production build: see compiledAgainstDist), waits for its
// BENCH_READY line, and reads its CPU time, memory and wake-ups from /proc/<pid>.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuMicrosOf, rssBytesOf, wakeupsOf } from './proc.ts';

export interface BenchChild<T> {
  name: string;
  pid: number;
  info: T;
  /** User + system CPU time consumed so far, in microseconds. */
  cpuMicros(): number;
  /** Resident set size now, in bytes. */
  rssBytes(): number;
  /** Times its event loop was woken so far. */
  wakeups(): number;
  stop(): Promise<void>;
}

/** Every bench server still running: stopped when the runner is interrupted or exits. */
const running = new Set<ChildProcess>();
let exitHooked = false;
function stopAllOnExit(): void {
  if (exitHooked) return;
  exitHooked = true;
  const killAll = () => {
    for (const child of running) child.kill('SIGKILL');
  };
  process.once('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      killAll();
      process.exit(130);
    });
  }
}

const root = fileURLToPath(new URL('../../', import.meta.url));
let distBuilt = false;

/**
 * The bench server `file` as one plain JavaScript file that imports Switchboard from dist/ (the
 * production build, rebuilt once per run), so that it runs as `npm start` runs the server: plain
 * node, no tsx (whose loader thread and transpile caches would count in its memory). What it
 * imports from outside src/ (a test helper) is bundled in.
 */
async function compiledAgainstDist(file: string): Promise<string> {
  if (!distBuilt) {
    execFileSync(process.execPath, [join(root, 'scripts/build.mjs'), '--server-only'], { stdio: 'inherit' });
    distBuilt = true;
  }
  const esbuild = await import('esbuild');
  const src = join(root, 'src');
  const outfile = join(root, 'bench/.build', file.replace(/\.ts$/, '.mjs'));
  mkdirSync(dirname(outfile), { recursive: true });
  await esbuild.build({
    entryPoints: [join(root, 'bench', file)],
    outfile,
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'warning',
    plugins: [
      {
        name: 'src-from-dist',
        setup(build) {
          build.onResolve({ filter: /^\.{1,2}\// }, (args) => {
            const path = resolve(args.resolveDir, args.path);
            if (!path.startsWith(src + '/')) return undefined;
            return { path: join(root, 'dist', relative(src, path)).replace(/\.ts$/, '.js'), external: true };
          });
        },
      },
    ],
  });
  return outfile;
}

export async function startChild<T extends Record<string, unknown>>(
  name: string,
  file: string,
  env: Record<string, string | undefined> = {},
  execArgv: string[] = [],
  options: { production?: boolean } = {},
): Promise<BenchChild<T>> {
  const childEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, NODE_ENV: undefined, ...env })) if (v !== undefined) childEnv[k] = v;
  const args = options.production ? [await compiledAgainstDist(file)] : ['--import', 'tsx', fileURLToPath(new URL(`../${file}`, import.meta.url))];
  const child: ChildProcess = spawn(process.execPath, [...execArgv, ...args], {
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  stopAllOnExit();
  running.add(child);
  child.once('exit', () => running.delete(child));
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const info = await new Promise<T & { pid: number }>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${name} did not start within 180 s\n${stderr}`)), 180_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n').find((l) => l.startsWith('BENCH_READY '));
      if (line) {
        clearTimeout(timer);
        resolve(JSON.parse(line.slice('BENCH_READY '.length)));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${code}) before it was ready\n${stderr}`));
    });
  });
  const pid = child.pid!;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    name,
    pid,
    info,
    cpuMicros: () => cpuMicrosOf(pid) ?? 0,
    rssBytes: () => rssBytesOf(pid),
    wakeups: () => wakeupsOf(pid),
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
