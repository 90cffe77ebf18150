// Nothing unauthenticated accumulates. A graphql-sse reservation (PUT /graphql/stream) needs a
// valid key (40,000 PUTs without one used to answer 201 and hold +117 MB for good), counts toward
// the key's cap, and lapses after WS_AUTH_TIMEOUT_MS unless its event stream connects. Sockets
// waiting for a key are bounded in count as well as in time.
import { EventEmitter } from 'node:events';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { createSocketGuard, WS_TOO_MANY, WS_UNAUTHORIZED } from '../../src/http/socket-guard.ts';
import { createUserWithKey, startTestServer, type TestServer } from '../helpers/server.ts';
import { readSse } from './sse-reader.ts';

const LAPSE_MS = 600;
let server: TestServer;
let key: string;
beforeAll(async () => {
  server = await startTestServer({ WS_AUTH_TIMEOUT_MS: String(LAPSE_MS), WS_MAX_SOCKETS_PER_KEY: '3' });
  key = (await createUserWithKey(server, 'edge-unauth@example.com')).key;
});
afterAll(async () => {
  await server?.close();
});

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const heapAfterGc = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};

const stream = () => `${server.url}/graphql/stream`;
const reservations = async () => Number(/^switchboard_graphql_sse_reservations (\d+)$/m.exec(await server.app.metrics.registry.metrics())?.[1]);

describe('graphql-sse reservations', () => {
  it('40,000 PUTs without a valid key: all 401, nothing held, memory flat', async () => {
    const agent = new Agent({ connections: 32, pipelining: 1 });
    const heapBefore = heapAfterGc();
    const statuses = new Map<number, number>();
    let next = 0;
    const worker = async () => {
      while (next < 40_000) {
        const i = next++;
        const res = await request(stream(), { method: 'PUT', dispatcher: agent, headers: i % 2 ? { authorization: 'Bearer sb_not_a_key' } : {} });
        await res.body.dump();
        statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
      }
    };
    await Promise.all(Array.from({ length: 32 }, worker));
    await agent.close();
    expect(Object.fromEntries(statuses)).toEqual({ 401: 40_000 });
    expect(await reservations()).toBe(0);
    // the test process shares the heap with the server: what 40,000 stored reservations took (~117 MB) would show
    expect(heapAfterGc() - heapBefore).toBeLessThan(20 * 1024 * 1024);
  }, 240_000);

  it('a reservation with a valid key lapses after WS_AUTH_TIMEOUT_MS unused', async () => {
    const put = await fetch(stream(), { method: 'PUT', headers: { authorization: `Bearer ${key}` } });
    expect(put.status).toBe(201);
    const token = await put.text();
    expect(await reservations()).toBe(1);
    await new Promise((r) => setTimeout(r, LAPSE_MS + 400));
    expect(await reservations()).toBe(0);
    const post = await fetch(stream(), {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'x-graphql-event-stream-token': token },
      body: JSON.stringify({ query: '{ me { id } }', extensions: { operationId: 'late' } }),
    });
    expect(post.status).toBe(404);
  });

  it('a connected reservation does not lapse; the key holds at most WS_MAX_SOCKETS_PER_KEY', async () => {
    const auth = { authorization: `Bearer ${key}` };
    const token = await (await fetch(stream(), { method: 'PUT', headers: auth })).text();
    const res = await fetch(stream(), { headers: { ...auth, accept: 'text/event-stream', 'x-graphql-event-stream-token': token } });
    const events = readSse(res.body!);
    const extra = [await fetch(stream(), { method: 'PUT', headers: auth }), await fetch(stream(), { method: 'PUT', headers: auth })];
    expect(extra.map((r) => r.status)).toEqual([201, 201]);
    const over = await fetch(stream(), { method: 'PUT', headers: auth });
    expect(over.status).toBe(429);
    expect(((await over.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0]!.extensions.code).toBe('RATE_LIMITED');
    await new Promise((r) => setTimeout(r, LAPSE_MS + 400));
    // the two unconnected ones lapsed, the connected one still serves
    expect(await reservations()).toBe(1);
    const post = await fetch(stream(), {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json', 'x-graphql-event-stream-token': token },
      body: JSON.stringify({ query: '{ me { id } }', extensions: { operationId: 'q' } }),
    });
    expect(post.status).toBe(202);
    await events.waitFor((e) => e.event === 'next' && e.data.includes('"me"'));
    await events.cancel();
    await new Promise((r) => setTimeout(r, 200));
    expect(await reservations()).toBe(0);
  });
});

describe('sockets waiting for a key', () => {
  /** Just what the guard uses of a ws WebSocket. */
  class FakeSocket extends EventEmitter {
    readonly OPEN = 1;
    readyState = 1;
    closedWith: number | undefined;
    close(code: number) {
      this.closedWith = code;
      this.readyState = 3;
      this.emit('close');
    }
  }

  it('are bounded in count (closed 4429 beyond it) and in time (4401)', async () => {
    const guard = createSocketGuard({ authTimeoutMs: 300, maxUnauthenticated: 5, maxSocketsPerKey: 10, maxSubscriptionsPerKey: 10 });
    const sockets = Array.from({ length: 8 }, () => new FakeSocket());
    for (const s of sockets) guard.watch(s as unknown as WebSocket);
    expect(guard.unauthenticated()).toBe(5);
    expect(sockets.slice(5).map((s) => s.closedWith)).toEqual([WS_TOO_MANY, WS_TOO_MANY, WS_TOO_MANY]);
    // a refused socket cannot be admitted afterwards
    expect(guard.admit(sockets[6] as unknown as WebSocket, { userId: 'u', role: 'USER', keyId: 'k' })).toBe(false);
    // one authenticates: it stops counting as waiting, the rest time out
    expect(guard.admit(sockets[0] as unknown as WebSocket, { userId: 'u', role: 'USER', keyId: 'k' })).toBe(true);
    expect(guard.unauthenticated()).toBe(4);
    await new Promise((r) => setTimeout(r, 500));
    expect(guard.unauthenticated()).toBe(0);
    expect(sockets.slice(1, 5).map((s) => s.closedWith)).toEqual([WS_UNAUTHORIZED, WS_UNAUTHORIZED, WS_UNAUTHORIZED, WS_UNAUTHORIZED]);
    expect(sockets[0]!.closedWith).toBeUndefined();
    expect(guard.openSockets()).toBe(1);
  });
});
