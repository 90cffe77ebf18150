// Prisma CLI configuration: the built-in Wasm schema engine (no native engine download) with a
// PGlite adapter that is opened only when the CLI actually connects.
import 'dotenv/config';
import { defineConfig } from 'prisma/config';
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';

// Without a resolvable url the 6.x CLI falls back to the native engine and tries a download.
// (An empty DATABASE_URL, as `DATABASE_URL= npm ...` sets it, counts as unset.)
process.env.DATABASE_URL ||= 'postgresql://placeholder@localhost:5432/placeholder';

export default defineConfig({
  schema: 'prisma/schema.prisma',
  engine: 'js',
  experimental: { adapter: true },
  async adapter() {
    const { PGlite } = await import('@electric-sql/pglite');
    const { PrismaPGlite } = await import('pglite-prisma-adapter');
    return new PrismaPGlite(new PGlite()) as unknown as SqlMigrationAwareDriverAdapterFactory;
  },
});
