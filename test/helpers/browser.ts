// Real headless Chromium (Debian's `chromium` package) driven by playwright-core, and the
// dashboard's build (rebuilt when its sources or schema.graphql are newer than the build).
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser } from 'playwright-core';
import { DASHBOARD_DIR } from '../../src/http/dashboard-static.ts';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ROOT = join(import.meta.dirname, '../..');

export function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // playwright-core gives every launch a fresh temporary --user-data-dir.
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

function newest(path: string): number {
  const s = statSync(path);
  if (!s.isDirectory()) return s.mtimeMs;
  return Math.max(s.mtimeMs, ...readdirSync(path).filter((n) => n !== 'graphql-env.d.ts').map((n) => newest(join(path, n))));
}

/** Builds the dashboard (npm run dashboard:build: gql.tada check, tsc, Vite) unless the build is current. */
export async function ensureDashboardBuilt(): Promise<void> {
  const index = join(DASHBOARD_DIR, 'index.html');
  const sources = Math.max(newest(join(ROOT, 'dashboard')), newest(join(ROOT, 'schema.graphql')));
  if (existsSync(index) && statSync(index).mtimeMs >= sources) return;
  await promisify(execFile)('npm', ['run', '--silent', 'dashboard:build'], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
}
