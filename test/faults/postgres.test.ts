// PostgreSQL faults, through a TCP fault proxy in front of the server (PostgreSQL only: the
// embedded database is in-process and cannot be cut off). For each fault: every answer is a
// success or UNAVAILABLE with a retry time (never INTERNAL), no upstream request is left without
// its ledger row, nothing stays PENDING, and the service is back within seconds of the fault's end.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { userWithKey } from '../limits/helpers.ts';
import {
  ADMIN_KEY,
  aiRequests,
  expectEveryRequestRecorded,
  expectRetryableOrOk,
  generate,
  generateStream,
  onPostgres,
  startFaultServer,
  until,
  type Answer,
  type FaultServer,
} from './helpers.ts';

describe.skipIf(!onPostgres)('PostgreSQL behind a fault proxy', () => {
  let server: FaultServer;
  let key: string;
  const proxy = () => server.pgProxy!;

  beforeAll(async () => {
    server = await startFaultServer({ env: { UPSTREAM_MAX_RETRIES: '0' } });
    ({ key } = await userWithKey(server.url, 'faults@example.com'));
    // Warm: the key and its settings are cached, so a call's only database work is the ledger's.
    expect((await generate(server.url, key, 'warm up')).code).toBe('OK');
  }, 60_000);
  afterAll(() => server?.close());

  const backWithin = async (ms: number) => until('a call served again', async () => (await generate(server.url, key, 'back?')).code === 'OK', ms);

  it('refusing connections: calls are UNAVAILABLE (503, Retry-After) on tRPC and GraphQL, none reaches upstream once the ledger knows, every request that left has its row', async () => {
    const cold = await userWithKey(server.url, 'cold-key@example.com'); // never used: not in the key cache
    proxy().down();
    // A key that cannot be checked now is not a bad key: graphql-sse's reservation is 503 too (it was 401).
    const reservation = await fetch(`${server.url}/graphql/stream`, { method: 'PUT', headers: { authorization: `Bearer ${cold.key}` } });
    expect(reservation.status).toBe(503);
    expect(reservation.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(((await reservation.json()) as { errors: Array<{ extensions: Record<string, unknown> }> }).errors[0]!.extensions).toMatchObject({ code: 'UNAVAILABLE', retryAfterMs: expect.any(Number) });
    const first = await Promise.all(Array.from({ length: 5 }, (_, i) => generate(server.url, key, `outage ${i}`)));
    for (const a of first) {
      expect(a).toMatchObject({ status: 503, code: 'UNAVAILABLE', retryAfterHeader: expect.stringMatching(/^\d+$/) });
      expect(a.retryAfterMs).toBeGreaterThan(0);
    }
    // The ledger knows now: nothing more leaves for upstream.
    const sent = aiRequests(server.sim).length;
    const again = await Promise.all(Array.from({ length: 5 }, (_, i) => generate(server.url, key, `still down ${i}`)));
    expect(again.every((a) => a.code === 'UNAVAILABLE' && a.status === 503)).toBe(true);
    const gql = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ query: 'mutation($i: GenerateInput!) { generate(input: $i) { id } }', variables: { i: { model: '@cf/moonshotai/kimi-k2.6', prompt: 'gql down' } } }),
    });
    expect(gql.status).toBe(503);
    expect(gql.headers.get('retry-after')).toMatch(/^\d+$/);
    const body = (await gql.json()) as { errors: Array<{ extensions: Record<string, unknown> }> };
    expect(body.errors[0]!.extensions).toMatchObject({ code: 'UNAVAILABLE', retryAfterMs: expect.any(Number) });
    expect(body.errors[0]!.extensions.http).toBeUndefined();
    const streamed = await generateStream(server.url, key, 'stream down');
    expect(streamed.code).toBe('UNAVAILABLE');
    expect(streamed.deltas).toBe(0);
    // The drop-in surfaces: 503 in each SDK's envelope, with retry-after (the SDKs retry it).
    for (const [path, body, headers] of [
      ['/v1/chat/completions', { model: '@cf/moonshotai/kimi-k2.6', messages: [{ role: 'user', content: 'sdk down' }] }, { authorization: `Bearer ${key}` }],
      ['/v1/messages', { model: 'anthropic/claude-sonnet-4-5', max_tokens: 10, messages: [{ role: 'user', content: 'sdk down' }] }, { 'x-api-key': key, 'anthropic-version': '2023-06-01' }],
    ] as const) {
      const res = await fetch(`${server.url}${path}`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect(res.status, path).toBe(503);
      expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
      const error = (await res.json()) as { error: { type: string; code?: string } };
      expect(error.error.type, path).toBe(path === '/v1/messages' ? 'overloaded_error' : 'service_unavailable_error');
    }
    expect(aiRequests(server.sim).length).toBe(sent);

    proxy().pass();
    expect(await backWithin(5_000)).toBeLessThan(5_000);
    await expectEveryRequestRecorded(server);
  }, 60_000);

  it('dropped connections (finding 14): a call or query on a dropped connection is answered, or UNAVAILABLE with a retry time, never INTERNAL', async () => {
    const answers: Answer[] = [];
    const reads: Array<{ status: number; code: string }> = [];
    let dropping = true;
    const dropper = (async () => {
      while (dropping) {
        proxy().drop();
        await new Promise((r) => setTimeout(r, 150));
      }
    })();
    for (let wave = 0; wave < 6; wave++) {
      const calls = Array.from({ length: 6 }, (_, i) => generate(server.url, key, `drop ${wave}.${i}`));
      const report = fetch(`${server.url}/trpc/usage.report?input=${encodeURIComponent(JSON.stringify({ from: '2020-01-01T00:00:00Z', to: '2100-01-01T00:00:00Z', groupBy: ['MODEL'] }))}`, {
        headers: { authorization: `Bearer ${ADMIN_KEY}` },
      }).then(async (res) => {
        const b = (await res.json()) as { error?: { data: { appCode: string } } };
        return { status: res.status, code: b.error?.data.appCode ?? 'OK' };
      });
      answers.push(...(await Promise.all(calls)));
      reads.push(await report);
    }
    dropping = false;
    await dropper;
    expectRetryableOrOk(answers);
    for (const r of reads) expect(['OK', 'UNAVAILABLE']).toContain(r.code);
    for (const r of reads) if (r.code === 'UNAVAILABLE') expect(r.status).toBe(503);
    expect(await backWithin(5_000)).toBeLessThan(5_000);
    await expectEveryRequestRecorded(server);
  }, 60_000);

  it('a read whose connection drops mid-query is retried on another connection (finding 14): answered, not INTERNAL', async () => {
    const report = () =>
      fetch(`${server.url}/trpc/usage.report?input=${encodeURIComponent(JSON.stringify({ from: '2020-01-01T00:00:00Z', to: '2100-01-01T00:00:00Z', groupBy: ['MODEL'] }))}`, {
        headers: { authorization: `Bearer ${ADMIN_KEY}` },
      }).then(async (res) => ({ status: res.status, body: (await res.json()) as { result?: unknown; error?: { data: { appCode: string } } } }));
    expect((await report()).status).toBe(200);
    // The reads are in flight (stalled) when every connection is reset.
    proxy().stall();
    const reads = Array.from({ length: 4 }, report);
    await new Promise((r) => setTimeout(r, 300));
    proxy().drop();
    proxy().pass();
    const answers = await Promise.all(reads);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200]);
  }, 30_000);

  it('a transaction whose connection is lost before its ROLLBACK gives the connection back: more such faults than the pool has connections, then it still serves', async () => {
    // Prisma 6.19 sent ROLLBACK and only then released the connection; with the ROLLBACK failing
    // it kept the connection for good, one per fault, until the pool was empty (Prisma 7 releases
    // it either way).
    const prisma = server.app.db.prisma;
    for (let i = 0; i < 12; i++) {
      const tx = prisma.$transaction([prisma.$queryRaw`SELECT 1`, prisma.$queryRaw`SELECT pg_sleep(0.4)`]);
      const settled = tx.then(
        () => 'committed',
        () => 'failed',
      );
      await new Promise((r) => setTimeout(r, 150));
      proxy().drop();
      expect(await settled).toBe('failed');
    }
    const answered = await Promise.race([prisma.$queryRaw<Array<{ one: number }>>`SELECT 1 AS one`.then((rows) => rows[0]?.one), new Promise((r) => setTimeout(() => r('no connection within 5 s'), 5_000))]);
    expect(answered).toBe(1);
    expect(await backWithin(5_000)).toBeLessThan(5_000);
  }, 60_000);

  it('an idempotent call that failed while the database was down lets go of its key once it is back: the retry runs, it does not wait out the key lease', async () => {
    const input = { idempotencyKey: `outage-${Date.now()}` };
    const prompt = '[[fault:slow_first_byte:300]] idempotent through an outage';
    const first = generate(server.url, key, prompt, input);
    await until('the call reached upstream', async () => aiRequests(server.sim).some((r) => JSON.stringify(r.body).includes('idempotent through an outage')), 5_000);
    // Down before the call can finish: its finish waits, then it answers UNAVAILABLE; letting go of the key fails too.
    proxy().down();
    expect((await first).code).toBe('UNAVAILABLE');
    proxy().pass();
    // The client retries as told (retryAfterMs) until it is answered, for 15 s at most.
    const deadline = Date.now() + 15_000;
    let retried: Answer = { status: 0, code: 'NOT TRIED', retryAfterHeader: null };
    while (Date.now() < deadline) {
      retried = await Promise.race([generate(server.url, key, prompt, input), new Promise<Answer>((r) => setTimeout(() => r({ status: 0, code: 'STILL WAITING', retryAfterHeader: null }), deadline - Date.now()))]);
      if (retried.code !== 'UNAVAILABLE') break;
      await new Promise((r) => setTimeout(r, Math.min(retried.retryAfterMs ?? 500, 1_000)));
    }
    expect(retried.code).toBe('OK');
    await expectEveryRequestRecorded(server);
  }, 60_000);

  it('a stalled database (no bytes either way for 2 s): calls wait or are refused, then everything is recorded', async () => {
    const before = aiRequests(server.sim).length;
    proxy().stall();
    const calls = Array.from({ length: 8 }, (_, i) => (i % 2 === 0 ? generate(server.url, key, `stall ${i}`) : generateStream(server.url, key, `stall stream ${i}`)));
    await new Promise((r) => setTimeout(r, 2_000));
    proxy().pass();
    const answers = await Promise.all(calls);
    expectRetryableOrOk(answers);
    expect(aiRequests(server.sim).length).toBeGreaterThanOrEqual(before);
    expect(await backWithin(5_000)).toBeLessThan(5_000);
    await expectEveryRequestRecorded(server);
  }, 60_000);

  it('a slow database (every packet 40 ms late): calls succeed, all recorded', async () => {
    proxy().slow(40);
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? generate(server.url, key, `slow ${i}`) : generateStream(server.url, key, `slow stream ${i}`))));
    proxy().pass();
    expect(answers.map((a) => a.code)).toEqual(answers.map(() => 'OK'));
    await expectEveryRequestRecorded(server);
  }, 60_000);

  it('a finish that cannot be written is retried until written: a stream whose database vanished mid-way ends OK and its row is OK', async () => {
    let cut: Promise<void> | undefined;
    const streamed = await generateStream(server.url, key, `[[fault:slow_stream:60]] ${'word '.repeat(20)}`, () => {
      cut ??= (async () => {
        proxy().down();
        await new Promise((r) => setTimeout(r, 1_500));
        proxy().pass();
      })();
    });
    await cut;
    expect(streamed.code).toBe('OK');
    await expectEveryRequestRecorded(server);
    const rows = await server.rows(`"status" <> 'OK' AND "errorCode" IS DISTINCT FROM 'UNAVAILABLE'`);
    expect(rows).toEqual([]);
  }, 60_000);

  it('a finish still unwritten after the call waited answers UNAVAILABLE, and the row is written once the database is back', async () => {
    let cut: Promise<void> | undefined;
    let idOfCall: string | undefined;
    const streamed = await generateStream(server.url, key, `[[fault:slow_stream:30]] long outage ${'word '.repeat(10)}`, () => {
      idOfCall = String(aiRequests(server.sim).at(-1)!.headers['cf-aig-event-id']);
      cut ??= (async () => {
        proxy().down();
      })();
    });
    await cut;
    expect(streamed.code).toBe('UNAVAILABLE');
    expect(streamed.retryAfterMs).toBeGreaterThan(0);
    expect(server.app.ledger.unwritten()).toBe(1);
    proxy().pass();
    await until('the late finish written', async () => (await server.rows(`"id" = $1::uuid`, [idOfCall])).at(0)?.status === 'OK');
    expect(server.app.ledger.unwritten()).toBe(0);
    await expectEveryRequestRecorded(server);
  }, 60_000);
});
