// Before any test file: the server's JavaScript in dist/ rebuilt from src/ (about a second), so
// tests that run `npm start` or a CLI as a child process run the code under test.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  execFileSync(process.execPath, [fileURLToPath(new URL('../scripts/build.mjs', import.meta.url)), '--server-only'], { stdio: 'inherit', env: { ...process.env, npm_config_loglevel: 'silent' } });
}
