// Prints the GraphQL schema (SDL) built by Pothos to schema.graphql at the repository root.
// `npm run schema:print` after a schema change; a test fails when the committed file is stale.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { printSchema } from 'graphql';
import { helpRequested } from '../platform/cli-help.ts';
import { schema } from './schema/index.ts';

export const SCHEMA_FILE = fileURLToPath(new URL('../../schema.graphql', import.meta.url));

export const printedSchema = (): string => `${printSchema(schema)}\n`;

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1] && !helpRequested(process.argv.slice(2), 'usage: npm run schema:print\n\nWrites the GraphQL schema built by Pothos to schema.graphql.')) {
  writeFileSync(SCHEMA_FILE, printedSchema());
  process.stdout.write(`wrote ${SCHEMA_FILE}\n`);
}
