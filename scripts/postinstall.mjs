// postinstall: the Prisma client (generated into src/db/generated), then the build (dist/).
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
if (process.argv.includes('--help') || process.argv.includes('-h')) {
  process.stdout.write('usage: npm run postinstall\n\nRun by npm install: generates the Prisma client (src/db/generated), then runs `npm run build`.\n');
} else {
  const prisma = join(dirname(createRequire(import.meta.url).resolve('prisma/package.json')), 'build/index.js');
  // Prisma 7's CLI looks for its native schema engine before any command, and would download it
  // from a host no machine here reaches; generate never runs it (see scripts/no-schema-engine.mjs).
  const env = { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY || join(root, 'scripts/no-schema-engine.mjs') };
  execFileSync(process.execPath, [prisma, 'generate'], { cwd: root, env, stdio: ['ignore', 'ignore', 'inherit'] });
  execFileSync(process.execPath, [join(root, 'scripts/build.mjs')], { cwd: root, stdio: 'inherit' });
}
