// npm run dashboard:build: the dashboard's checked build (development): gql.tada's introspection
// output and document check against schema.graphql, tsc over the page, then Vite into dist/dashboard.
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => join(root, 'node_modules/.bin', name);
if (process.argv.includes('--help') || process.argv.includes('-h')) {
  process.stdout.write('usage: npm run dashboard:build\n\nType-checks the dashboard (gql.tada against schema.graphql, tsc) and builds it into dist/dashboard.\n');
} else {
  const run = (cmd, ...args) => execFileSync(bin(cmd), args, { cwd: root, stdio: 'inherit' });
  run('gql.tada', 'generate-output', '--tsconfig', 'dashboard/tsconfig.json');
  run('gql.tada', 'check', '--tsconfig', 'dashboard/tsconfig.json');
  run('tsc', '-p', 'dashboard/tsconfig.json');
  run('vite', 'build', '--config', 'dashboard/vite.config.ts');
}
