// The ledger fails closed, on both databases: the database's writes are made to fail as a lost
// connection would (the server's own Database.execute and executeDeferred, patched), so this runs on the embedded
// database too. A call whose PENDING insert fails has its upstream request aborted at once and
// answers UNAVAILABLE (503, Retry-After); while the ledger is down no call reaches upstream; once
// the database answers again, service is back within a second and the aborted attempt's row is
// written (ERROR / UNAVAILABLE), so every upstream request has its row.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { userWithKey } from '../limits/helpers.ts';
import { aiRequests, eventIdOf, expectEveryRequestRecorded, generate, generateStream, startFaultServer, until, type FaultServer } from './helpers.ts';

describe('the ledger fails closed', () => {
  let server: FaultServer;
  let key: string;
  let failing = false;

  beforeAll(async () => {
    server = await startFaultServer({ env: { UPSTREAM_MAX_RETRIES: '0' } });
    ({ key } = await userWithKey(server.url, 'fails-closed@example.com'));
    expect((await generate(server.url, key, 'warm up')).code).toBe('OK');
    const db = server.app.db;
    const execute = db.execute.bind(db);
    const executeDeferred = db.executeDeferred.bind(db);
    // A lost connection is noticed after a moment (here 300 ms): the request is on its way by then.
    const lost = () => new Promise<void>((_, reject) => setTimeout(() => reject(Object.assign(new Error('read ECONNRESET (test)'), { code: 'ECONNRESET' })), 300));
    db.execute = (sql, params) => (failing ? lost() : execute(sql, params));
    db.executeDeferred = (sql, params) => (failing ? lost() : executeDeferred(sql, params));
  }, 60_000);
  afterAll(() => server?.close());

  it('a failed PENDING insert aborts its upstream request at once; new calls are refused before upstream; the row is written once the database is back', async () => {
    failing = true;
    const before = aiRequests(server.sim).length;
    const started = performance.now();
    // The upstream holds its answer 3 s: the call ends long before, its request aborted.
    const first = await generate(server.url, key, '[[fault:slow_first_byte:3000]] aborted');
    expect(performance.now() - started).toBeLessThan(1_500);
    expect(first).toMatchObject({ status: 503, code: 'UNAVAILABLE', retryAfterHeader: expect.stringMatching(/^\d+$/) });
    expect(first.retryAfterMs).toBeGreaterThan(0);
    expect(aiRequests(server.sim).length).toBe(before + 1);
    const aborted = aiRequests(server.sim).at(-1)!;
    await until('the upstream request closed by the client', async () => aborted.clientClosed === true, 3_000);

    const sent = aiRequests(server.sim).length;
    const refused = await Promise.all([generate(server.url, key, 'refused 1'), generate(server.url, key, 'refused 2'), generateStream(server.url, key, 'refused stream')]);
    expect(refused.map((a) => a.code)).toEqual(['UNAVAILABLE', 'UNAVAILABLE', 'UNAVAILABLE']);
    expect(refused.every((a) => (a.retryAfterMs ?? 0) > 0)).toBe(true);
    expect(aiRequests(server.sim).length).toBe(sent);
    expect(await server.rows(`"id" = $1::uuid`, [eventIdOf(aborted)])).toEqual([]);

    failing = false;
    expect(await until('a call served again', async () => (await generate(server.url, key, 'back')).code === 'OK', 3_000)).toBeLessThan(3_000);
    await until('the aborted attempt recorded', async () => (await server.rows(`"id" = $1::uuid`, [eventIdOf(aborted)])).length === 1, 5_000);
    expect(await server.rows(`"id" = $1::uuid`, [eventIdOf(aborted)])).toMatchObject([{ status: 'ERROR', errorCode: 'UNAVAILABLE' }]);
    await expectEveryRequestRecorded(server);
  }, 60_000);
});
