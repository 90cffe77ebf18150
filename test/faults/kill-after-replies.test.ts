// A finish's commit does not wait for its WAL flush (the ledger's deferred commits), but it is
// committed before the reply leaves: a SIGKILL of the server right after a burst of replies loses
// no row, and every replied call's row is final. Rows = upstream requests, one each.
// Also: one durable commit per call (the write-ahead), counted by the ledger's own metric.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/index.ts';
import { startSimulator, type Simulator } from '../../src/simulator/server.ts';
import { freshDatabase, type FreshDatabase } from '../helpers/database.ts';
import { spawnInstance, type Instance } from '../helpers/processes.ts';
import { ADMIN_KEY } from '../helpers/server.ts';
import { metricValue, userWithKey } from '../limits/helpers.ts';
import { aiRequests, eventIdOf, generate, generateStream } from './helpers.ts';

const BURST = 40;

describe('SIGKILL right after a burst of replies', () => {
  let fresh: FreshDatabase;
  let sim: Simulator;
  let instance: Instance | undefined;

  beforeAll(async () => {
    fresh = await freshDatabase();
    sim = await startSimulator();
    instance = await spawnInstance(
      {
        NODE_ENV: 'test',
        PORT: '0',
        LOG_LEVEL: 'silent',
        DATA_DIR: fresh.dataDir,
        ...(fresh.databaseUrl && { DATABASE_URL: fresh.databaseUrl }),
        ADMIN_API_KEY: ADMIN_KEY,
        CLOUDFLARE_API_TOKEN: 'kill-replies-token',
        CLOUDFLARE_ACCOUNT_ID: 'kill-replies-account',
        CLOUDFLARE_API_BASE_URL: sim.baseUrl,
        UPSTREAM_MAX_RETRIES: '0',
      },
      120_000,
    );
  }, 180_000);
  afterAll(async () => {
    await instance?.stop();
    await sim?.close();
    await fresh?.cleanup();
  });

  it('one durable commit per call when calls come one at a time; the finishes are deferred', async () => {
    const { key } = await userWithKey(instance!.url, 'commits@example.com');
    const durable0 = await metricValue(instance!.url, 'switchboard_ledger_commits_total', 'commit="durable"');
    const deferred0 = await metricValue(instance!.url, 'switchboard_ledger_commits_total', 'commit="deferred"');
    for (let i = 0; i < 5; i++) expect((await generate(instance!.url, key, `one at a time ${i}`)).code).toBe('OK');
    expect((await metricValue(instance!.url, 'switchboard_ledger_commits_total', 'commit="durable"')) - durable0).toBe(5);
    expect((await metricValue(instance!.url, 'switchboard_ledger_commits_total', 'commit="deferred"')) - deferred0).toBe(5);
  }, 60_000);

  it('every replied call has its final row after the kill; rows = upstream requests', async () => {
    const { key } = await userWithKey(instance!.url, 'kill-replies@example.com');
    const before = aiRequests(sim).length;
    const answers = await Promise.all(
      Array.from({ length: BURST }, (_, i) => (i % 4 === 3 ? generateStream(instance!.url, key, `burst stream ${i}`) : generate(instance!.url, key, `burst ${i}`))),
    );
    // The last reply is in: kill at once, nothing drained.
    await instance!.kill();
    instance = undefined;
    expect(answers.map((a) => a.code)).toEqual(Array.from({ length: BURST }, () => 'OK'));

    const requests = aiRequests(sim).slice(before);
    expect(requests).toHaveLength(BURST);
    const db = await openDatabase({ databaseUrl: fresh.databaseUrl, dataDir: fresh.dataDir });
    try {
      const ids = requests.map(eventIdOf);
      const rows = await db.prisma.usageRecord.findMany({ where: { id: { in: ids } }, select: { id: true, status: true, totalTokens: true } });
      expect(rows).toHaveLength(BURST);
      expect(rows.filter((r) => r.status !== 'OK' || r.totalTokens <= 0)).toEqual([]);
      expect(await db.prisma.usageRecord.count({ where: { status: 'PENDING' } })).toBe(0);
    } finally {
      await db.close();
    }
  }, 120_000);
});
