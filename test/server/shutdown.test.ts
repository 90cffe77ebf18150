import { describe, expect, it } from 'vitest';
import { trpcHttp } from '../helpers/clients.ts';
import { startTestServer } from '../helpers/server.ts';

describe('graceful shutdown', () => {
  it('drains: /readyz 503 while the listener is open, new work refused, a call in flight finishes and records its row, then the database closes', async () => {
    const server = await startTestServer({ SHUTDOWN_GRACE_MS: '20000' });
    const { url, app } = server;
    const inFlight = trpcHttp(url, server.adminKey).generate.mutate({ model: 'openai/gpt-5.5', prompt: 'finish me [[fault:slow_first_byte:3000]]' });
    inFlight.catch(() => {}); // awaited below
    // close only once the call is in flight: it has reached the upstream
    while (!app.simulator!.requests.some((r) => JSON.stringify(r.body).includes('finish me'))) await new Promise((r) => setTimeout(r, 10));
    const closing = app.close();
    await new Promise((r) => setTimeout(r, 50));
    // the listener is still open during the drain: not ready, alive, new work refused
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(503);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    const refused = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ me { id } }"}' });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(await refused.json()).toMatchObject({ error: { code: 'UNAVAILABLE', retryAfterMs: 1_000 } });
    const generation = await inFlight;
    expect(generation.text).toBe('Echo: finish me');
    await closing;
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
    // the row was committed before the reply, and the database is closed now
    await expect(app.db.ping()).rejects.toThrow();
    await server.close();
  }, 120_000);
});
