#!/usr/bin/env node
// Stands in for Prisma's native schema engine (PRISMA_SCHEMA_ENGINE_BINARY, set by
// scripts/postinstall.mjs). `prisma generate` never runs it; `prisma migrate` and `db` would,
// and are not how this project migrates: the server applies prisma/migrations at start-up.
process.stderr.write('Switchboard applies its migrations itself at start-up (src/db/migrate.ts); Prisma\'s schema engine is not installed.\n');
process.exit(1);
