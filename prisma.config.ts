// Prisma CLI configuration. The CLI has one job here: `prisma generate` (run by postinstall),
// which reads the schema only. Migrations are applied by the server itself at start-up
// (src/db/migrate.ts), so the CLI's native schema engine is never run: scripts/postinstall.mjs
// names a stand-in that refuses, as Prisma 7's CLI would otherwise download the engine from a
// host no machine here reaches.
import { defineConfig } from 'prisma/config';

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
});
