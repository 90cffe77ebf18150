// Every `npm run` script answers `--help` with its usage and exit 0, and changes nothing: no
// committed file, no generated file (schema, prices, the Prisma client, dist/), no server started.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);
const scripts = Object.keys((JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts);
const WATCHED = ['schema.graphql', 'prisma/prices/2026-11.json', 'dist/main.js', 'dist/dashboard/index.html', 'src/db/generated/client.ts', 'dashboard/src/graphql-env.d.ts'];

async function snapshot(): Promise<string> {
  const { stdout } = await run('git', ['status', '--porcelain', '--untracked-files=all'], { cwd: root });
  const times = WATCHED.map((f) => `${f} ${existsSync(join(root, f)) ? statSync(join(root, f)).mtimeMs : 'absent'}`);
  return `${stdout}\n${times.join('\n')}`;
}

describe('npm run <script> -- --help', () => {
  it.each(scripts)('%s prints its usage and changes nothing', async (script) => {
    const before = await snapshot();
    const { stdout } = await run('npm', ['run', '--silent', script, '--', '--help'], { cwd: root, timeout: 60_000, env: { ...process.env, NODE_ENV: undefined } });
    expect(stdout).toMatch(/usage|Usage|USAGE|COMMANDS/);
    expect(await snapshot()).toBe(before);
  }, 90_000);
});
