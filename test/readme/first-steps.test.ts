// The README's five-minute path, run as written: `npm start` (a real process, offline mode, no
// ADMIN_API_KEY), the admin key taken from its banner, then the README's second shell block in
// bash with that key and this run's port filled in. Ada's own key must answer as Ada.
import { spawn } from 'node:child_process';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';
import { freshDatabase, type FreshDatabase } from '../helpers/database.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
let stopServer: (() => Promise<void>) | undefined;
let db: FreshDatabase | undefined;

afterAll(async () => {
  await stopServer?.();
  await db?.cleanup();
});

function shellBlocks(markdown: string, heading: string): string[] {
  const section = markdown.slice(markdown.indexOf(heading), markdown.indexOf('\n## ', markdown.indexOf(heading) + 1));
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

it('runs the five-minute path as written', async () => {
  const readme = readFileSync(`${root}/README.md`, 'utf8');
  const [start, steps] = shellBlocks(readme, '## Five minutes');
  expect(start!.trim().split('\n')).toEqual(['npm install', 'npm start']);

  db = await freshDatabase();
  const child = spawn('npm', ['start'], {
    cwd: root,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      NODE_ENV: 'development',
      PORT: '0',
      DATA_DIR: db.dataDir,
      ...(db.databaseUrl ? { DATABASE_URL: db.databaseUrl } : {}),
    },
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  stopServer = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      process.kill(-child.pid!, 'SIGTERM');
      const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
  };
  let stderr = '';
  const { url, adminKey } = await new Promise<{ url: string; adminKey: string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm start did not print its banner: ${stderr.slice(-2000)}`)), 120_000);
    const onData = (d: Buffer) => {
      stderr += d.toString();
      const url = stderr.match(/listening on (http:\/\/127\.0\.0\.1:\d+)/)?.[1];
      const adminKey = stderr.match(/^\*\*\* No ADMIN_API_KEY: this run's admin key is (dev_\S+)$/m)?.[1]; // a line of its own, as the README quotes it
      if (url && adminKey) {
        clearTimeout(timer);
        resolve({ url, adminKey });
      }
    };
    child.stderr!.on('data', onData);
    child.stdout!.on('data', onData);
    void exited.then(() => reject(new Error(`npm start exited: ${stderr.slice(-2000)}`)));
  });

  expect(steps).toContain('ADMIN_KEY=dev_paste-the-key-from-the-banner');
  expect(steps).toContain('SB=http://127.0.0.1:4000');
  const script = steps!.replace('dev_paste-the-key-from-the-banner', adminKey).replace('http://127.0.0.1:4000', url);
  const { stdout } = await promisify(execFile)('bash', ['-euo', 'pipefail', '-c', script], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  const [me, chat, embed] = stdout.trim().split('\n').map((l) => JSON.parse(l) as { data: Record<string, unknown>; errors?: unknown });
  expect(me).toEqual({ data: { me: { email: 'ada@example.com', role: 'USER' } } });
  const turn = chat!.data.chat as { assistantMessage: { content: string }; generation: { id: string; usage: { totalTokens: number } } };
  expect(turn.assistantMessage.content).toContain('Echo: Hello!');
  expect(turn.generation.usage.totalTokens).toBeGreaterThan(0);
  const vectors = embed!.data.embed as { dimensions: number; usage: { modality: string; inputTokens: number; costUsd: string | null } };
  expect(vectors.dimensions).toBe(1024);
  expect(vectors.usage.modality).toBe('EMBEDDING');
  expect(vectors.usage.inputTokens).toBeGreaterThan(0);
  expect(vectors.usage.costUsd).not.toBeNull();
}, 300_000);
