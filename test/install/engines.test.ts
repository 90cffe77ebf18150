// `npm install` on the supported Node 20 prints no EBADENGINE: the lockfile's whole tree accepts
// this Node (package.json `overrides` keep @whatwg-node/* on the versions that support Node 20).
// npm ci --dry-run runs npm's own engine check over the lockfile without downloading anything.
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

it('npm ci over the committed lockfile prints no EBADENGINE on this Node', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-engines-'));
  try {
    for (const f of ['package.json', 'package-lock.json']) copyFileSync(join(root, f), join(dir, f));
    const { stdout, stderr } = await promisify(execFile)('npm', ['ci', '--dry-run', '--ignore-scripts', '--no-audit', '--no-fund'], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, npm_config_loglevel: 'warn', npm_config_engine_strict: 'false' },
      timeout: 120_000,
    });
    expect(`${stdout}${stderr}`).not.toMatch(/EBADENGINE/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 180_000);
