// Runner-side: starts a bench server as its own Node process (`node --import tsx <file>`),
// waits for its BENCH_READY line, and reads its CPU time and memory from /proc/<pid>.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { cpuMicrosOf, rssBytesOf } from './proc.ts';

export interface BenchChild<T> {
  name: string;
  pid: number;
  info: T;
  /** User + system CPU time consumed so far, in microseconds. */
  cpuMicros(): number;
  /** Resident set size now, in bytes. */
  rssBytes(): number;
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

export async function startChild<T extends Record<string, unknown>>(
  name: string,
  file: string,
  env: Record<string, string | undefined> = {},
  execArgv: string[] = [],
): Promise<BenchChild<T>> {
  const script = fileURLToPath(new URL(`../${file}`, import.meta.url));
  const childEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, NODE_ENV: undefined, ...env })) if (v !== undefined) childEnv[k] = v;
  const child: ChildProcess = spawn(process.execPath, [...execArgv, '--import', 'tsx', script], {
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
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
