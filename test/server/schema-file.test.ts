import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SCHEMA_FILE, printedSchema } from '../../src/graphql/print-schema.ts';

describe('schema.graphql', () => {
  it('matches the Pothos schema (run `npm run schema:print` after a schema change)', () => {
    expect(readFileSync(SCHEMA_FILE, 'utf8')).toBe(printedSchema());
  });

  it('holds every operation the contract names', () => {
    const sdl = printedSchema();
    for (const name of ['me:', 'models:', 'gateways:', 'conversations(', 'conversation(', 'usageReport(', 'generate(', 'chat(', 'chooseGateway(', 'deleteConversation(', 'createUser(', 'createApiKey(', 'revokeApiKey(', 'setUserLimits(', 'syncGateways:', 'setModelPrice(', 'repriceUsage(', 'generateStream(', 'chatStream(']) {
      expect(sdl).toContain(`  ${name}`);
    }
  });
});
