import { describe, expect, it } from 'vitest';
import { trpcHttp } from '../helpers/clients.ts';
import { startTestServer } from '../helpers/server.ts';

describe('graceful shutdown', () => {
  it('stops accepting, lets a call in flight finish and record its row, then closes the database', async () => {
    const server = await startTestServer({ SHUTDOWN_GRACE_MS: '5000' });
    const { url, app } = server;
    const inFlight = trpcHttp(url, server.adminKey).generate.mutate({ model: 'openai/gpt-5.5', prompt: 'finish me [[fault:slow_first_byte:800]]' });
    inFlight.catch(() => {}); // awaited below
    // close only once the call is in flight: it has reached the upstream
    while (!app.simulator!.requests.some((r) => JSON.stringify(r.body).includes('finish me'))) await new Promise((r) => setTimeout(r, 10));
    const closing = app.close();
    await new Promise((r) => setTimeout(r, 50));
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
    const generation = await inFlight;
    expect(generation.text).toBe('Echo: finish me');
    await closing;
    // the row was committed before the reply, and the database is closed now
    await expect(app.db.ping()).rejects.toThrow();
    await server.close();
  });
});
