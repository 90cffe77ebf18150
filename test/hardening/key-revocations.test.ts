// The revocation channel between instances: publish() answers only once every other listening
// instance has dropped the key, so "stops at once on every instance" holds however the event
// loops and PostgreSQL backends are scheduled. A listener that never acknowledges delays the
// publisher by a bounded time and is named in a warning.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeyRevocations, type KeyRevocations, type RevokedKeys } from '../../src/platform/key-revocations.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { freshDatabase, type FreshDatabase } from '../helpers/database.ts';

describe.skipIf(!process.env.DATABASE_URL)('key revocation channel (PostgreSQL)', () => {
  let db: FreshDatabase;
  const channels: KeyRevocations[] = [];
  const open = async () => {
    const channel = await createKeyRevocations({ databaseUrl: db.databaseUrl, logger: createLogger('error') });
    channels.push(channel);
    return channel;
  };
  beforeAll(async () => {
    db = await freshDatabase();
  });
  afterAll(async () => {
    await Promise.all(channels.map((c) => c.close()));
    await db?.cleanup();
  });

  it('publish resolves only after every other instance has handled the notice', async () => {
    const [a, b, c] = [await open(), await open(), await open()];
    const seen: Record<string, RevokedKeys[]> = { a: [], b: [], c: [] };
    a.subscribe((e) => e && seen.a!.push(e));
    b.subscribe((e) => e && seen.b!.push(e));
    c.subscribe((e) => e && seen.c!.push(e));
    for (let i = 0; i < 20; i++) {
      await a.publish({ keyId: `k${i}` });
      // no waiting: the other instances must already have dropped the key
      expect(seen.b!.at(-1)).toEqual({ keyId: `k${i}` });
      expect(seen.c!.at(-1)).toEqual({ keyId: `k${i}` });
    }
    await c.publish({ userId: 'u1' });
    expect(seen.a!.at(-1)).toEqual({ userId: 'u1' });
    expect(seen.b!.at(-1)).toEqual({ userId: 'u1' });
    // each instance handled every notice once, its own included
    expect(seen.a).toHaveLength(21);
    expect(seen.b).toHaveLength(21);
  });

  it('a listener that never acknowledges delays publish by about two seconds, not forever', async () => {
    const a = await open();
    const wedged = new pg.Client({ connectionString: db.databaseUrl, application_name: 'switchboard-keys:wedged-instance' });
    await wedged.connect();
    try {
      const started = performance.now();
      await a.publish({ keyId: 'k-wedged' });
      const waited = performance.now() - started;
      expect(waited).toBeGreaterThanOrEqual(1_900);
      expect(waited).toBeLessThan(15_000);
    } finally {
      await wedged.end();
    }
    // gone: publish no longer waits for it
    const started = performance.now();
    await a.publish({ keyId: 'k-after' });
    expect(performance.now() - started).toBeLessThan(1_900);
  });
});
