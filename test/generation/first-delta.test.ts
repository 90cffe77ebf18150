// Time to first token under a burst: when the upstream's whole reply arrives in one read (the
// simulator sends it so, and so does a cache hit), the stream yields the event loop after its
// first delta, so that delta is written to the client before the rest of the burst is parsed
// (the response coalesces writes made in one run of microtasks). Without that, the pull after
// the first delta resolved in the same run of microtasks.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUserWithKey, startTestServer, type TestServer } from '../helpers/server.ts';

let server: TestServer;
let key: string;
beforeAll(async () => {
  server = await startTestServer();
  ({ key } = await createUserWithKey(server, 'first-delta@example.com'));
});
afterAll(() => server?.close());

describe('the first delta of a burst', () => {
  it('is handed on a turn of the event loop before the next one', async () => {
    const principal = await server.app.services.access.authenticate(`Bearer ${key}`);
    const stream = server.app.services.generation.generateStream(principal, { model: 'openai/gpt-5.5', prompt: 'one two three four five six seven' }, { transport: 'trpc-sse', surface: 'TRPC' });
    const it = stream[Symbol.asyncIterator]();
    const first = await it.next();
    expect(first.value).toMatchObject({ type: 'delta', index: 0 });
    // A macrotask queued now runs before the next delta comes only if the stream yields the loop.
    let turned = false;
    setImmediate(() => (turned = true));
    const second = await it.next();
    expect(second.value).toMatchObject({ type: 'delta' });
    expect(turned).toBe(true);
    // Later deltas of the burst are not held: no turn of the loop between them.
    const later: Array<{ type: string }> = [];
    for (;;) {
      turned = false;
      setImmediate(() => (turned = true));
      const r = await it.next();
      if (r.done) break;
      later.push(r.value as { type: string });
      if ((r.value as { type: string }).type === 'delta') expect(turned).toBe(false);
    }
    expect(later.at(-1)).toMatchObject({ type: 'completed' });
  });
});
