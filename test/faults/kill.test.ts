// kill -9 mid-stream while the database is unreachable (PostgreSQL: a server process whose
// database connections go through the fault proxy). The stream's finish cannot be written, the
// process dies before it is: the next instance recovers the PENDING row as INTERRUPTED with an
// estimate, and the ledger still holds exactly one row per upstream request.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/simulator/server.ts';
import { freshDatabase, quietPool, type FreshDatabase } from '../helpers/database.ts';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy.ts';
import { spawnInstance, type Instance } from '../helpers/processes.ts';
import { ADMIN_KEY } from '../helpers/server.ts';
import { userWithKey } from '../limits/helpers.ts';
import { aiRequests, eventIdOf, generateStream, onPostgres, until } from './helpers.ts';
import pg from 'pg';

describe.skipIf(!onPostgres)('kill -9 mid-stream with the database unreachable', () => {
  let fresh: FreshDatabase;
  let proxy: FaultProxy;
  let sim: Simulator;
  let direct: pg.Pool;
  const instances: Instance[] = [];
  let env: Record<string, string>;

  beforeAll(async () => {
    fresh = await freshDatabase();
    const u = new URL(fresh.databaseUrl!);
    proxy = await startFaultProxy({ host: u.hostname, port: Number(u.port || 5432) });
    sim = await startSimulator();
    direct = quietPool(fresh.databaseUrl!);
    env = {
      NODE_ENV: 'test',
      PORT: '0',
      LOG_LEVEL: 'silent',
      DATA_DIR: fresh.dataDir,
      DATABASE_URL: proxy.rewrite(fresh.databaseUrl!),
      ADMIN_API_KEY: ADMIN_KEY,
      CLOUDFLARE_API_TOKEN: 'kill-sim-token',
      CLOUDFLARE_ACCOUNT_ID: 'kill-account',
      CLOUDFLARE_API_BASE_URL: sim.baseUrl,
      UPSTREAM_MAX_RETRIES: '0',
      RECOVERY_LEASE_MS: '1000',
      SHUTDOWN_GRACE_MS: '1000',
    };
    instances.push(await spawnInstance(env, 120_000));
  }, 180_000);
  afterAll(async () => {
    proxy?.pass();
    for (const i of instances) await i.stop();
    await direct?.end();
    await proxy?.close();
    await sim?.close();
    await fresh?.cleanup();
  });

  it('the unwritten finish is recovered as INTERRUPTED by the next instance; one row per upstream request', async () => {
    const { key } = await userWithKey(instances[0]!.url, 'kill@example.com');
    let killed: Promise<void> | undefined;
    const streamed = generateStream(instances[0]!.url, key, `[[fault:slow_stream:80]] ${'word '.repeat(30)}`, () => {
      killed ??= (async () => {
        proxy.down();
        await new Promise((r) => setTimeout(r, 300));
        await instances[0]!.kill();
      })();
    }).catch(() => undefined);
    await until('the first delta', async () => killed !== undefined, 20_000);
    await killed;
    await streamed;
    const [request] = aiRequests(sim);
    expect(aiRequests(sim)).toHaveLength(1);
    const id = eventIdOf(request!);
    expect((await direct.query(`SELECT "status" FROM "UsageRecord" WHERE "id" = $1::uuid`, [id])).rows).toEqual([{ status: 'PENDING' }]);

    proxy.pass();
    instances.push(await spawnInstance(env, 120_000));
    await until(
      'the row recovered',
      async () => (await direct.query(`SELECT "status" FROM "UsageRecord" WHERE "id" = $1::uuid`, [id])).rows[0]?.status === 'INTERRUPTED',
      15_000,
    );
    const rows = (await direct.query(`SELECT "id", "status", "usageEstimated" FROM "UsageRecord"`)).rows;
    expect(rows).toEqual([{ id, status: 'INTERRUPTED', usageEstimated: true }]);
  }, 120_000);
});
