// No error thrown while serving a request ends the process: the request or stream fails alone and
// everyone else keeps being served. A chatStream on a conversation that does not exist, over
// graphql-sse's single-connection mode, used to throw inside graphql-sse's handler and end the
// process (vitest fails this file on any unhandled rejection, so that case is watched here too).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createClient as createWsClient } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase } from '../helpers/database.ts';
import { graphqlSse } from '../helpers/clients.ts';
import { ADMIN_KEY, createUserWithKey, startTestServer, type TestServer } from '../helpers/server.ts';

const MISSING = '00000000-0000-7000-8000-00000000dead';
const CHAT = `subscription { chatStream(input: {model: "openai/gpt-5.5", conversationId: "${MISSING}", message: "hi"}) { __typename } }`;

let server: TestServer;
let key: string;
beforeAll(async () => {
  server = await startTestServer();
  key = (await createUserWithKey(server, 'edge-defence@example.com')).key;
});
afterAll(async () => {
  await server?.close();
});

/** Reads an SSE body until `until` matches the text so far (or 5 s pass). */
async function readUntil(body: ReadableStream<Uint8Array>, until: (text: string) => boolean): Promise<string> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  const deadline = Date.now() + 5_000;
  while (!until(text) && Date.now() < deadline) {
    const step = await Promise.race([reader.read(), new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), deadline - Date.now()))]);
    if (step === 'timeout' || step.done) break;
    text += decoder.decode(step.value, { stream: true });
  }
  await reader.cancel().catch(() => undefined);
  return text;
}

describe('a stream that throws fails alone', () => {
  it('graphql-sse single-connection: chatStream on a missing conversation is a NOT_FOUND event, then complete; the server serves on', async () => {
    const auth = { authorization: `Bearer ${key}` };
    const put = await fetch(`${server.url}/graphql/stream`, { method: 'PUT', headers: auth });
    expect(put.status).toBe(201);
    const token = await put.text();
    const stream = await fetch(`${server.url}/graphql/stream`, { headers: { ...auth, accept: 'text/event-stream', 'x-graphql-event-stream-token': token } });
    expect(stream.status).toBe(200);
    const post = await fetch(`${server.url}/graphql/stream`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json', 'x-graphql-event-stream-token': token },
      body: JSON.stringify({ query: CHAT, extensions: { operationId: 'op-1' } }),
    });
    expect(post.status).toBe(202);
    const text = await readUntil(stream.body!, (t) => t.includes('event: complete'));
    const next = /event: next\ndata: (.*)\n/.exec(text);
    expect(next).not.toBeNull();
    const payload = JSON.parse(next![1]!) as { id: string; payload: { errors: Array<{ extensions: { code: string } }> } };
    expect(payload.id).toBe('op-1');
    expect(payload.payload.errors[0]!.extensions.code).toBe('NOT_FOUND');
    expect(text).toContain('event: complete\ndata: {"id":"op-1"}');
    const me = await server.gql<{ me: { id: string } }>('{ me { id } }', undefined, key);
    expect(me.data?.me.id).toBeTruthy();
  });

  it('graphql-sse distinct connections: the same is a NOT_FOUND error', async () => {
    const result = await graphqlSse(server.url, key, CHAT, {});
    expect(result.errors).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'NOT_FOUND' }) })]);
  });

  it('graphql-ws: the failing subscription ends alone; the socket keeps serving the next one', async () => {
    const client = createWsClient({ url: `${server.url.replace('http', 'ws')}/graphql`, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${key}` }, retryAttempts: 0, lazy: false });
    let closed = 0;
    client.on('closed', () => closed++);
    try {
      const run = (query: string) =>
        new Promise<{ data: unknown[]; errors: unknown[] }>((resolve) => {
          const out = { data: [] as unknown[], errors: [] as unknown[] };
          client.subscribe({ query }, {
            next: (v) => (v.errors ? out.errors.push(...v.errors) : out.data.push(v.data)),
            error: (e) => (out.errors.push(e), resolve(out)),
            complete: () => resolve(out),
          });
        });
      const failed = await run(CHAT);
      expect(failed.errors).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'NOT_FOUND' }) })]);
      const ok = await run('subscription { generateStream(input: {model: "openai/gpt-5.5", prompt: "still here"}) { __typename } }');
      expect(ok.errors).toEqual([]);
      expect(ok.data.length).toBeGreaterThan(1);
      expect(closed).toBe(0);
    } finally {
      await client.dispose();
    }
  });
});

describe('the process guard (a process set up as src/main.ts sets it up)', () => {
  it('an exception thrown from a callback and an unawaited rejection are counted; the process keeps serving', async () => {
    const db = await freshDatabase();
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./fixtures/faulty-instance.ts', import.meta.url))], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NODE_ENV: 'test', ADMIN_API_KEY: ADMIN_KEY, DATA_DIR: db.dataDir, LOG_LEVEL: 'silent', ...(db.databaseUrl && { DATABASE_URL: db.databaseUrl }) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let exited: number | null | undefined;
    child.once('exit', (code) => (exited = code));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        const timer = setTimeout(() => reject(new Error('the instance did not start')), 120_000);
        child.stdout!.on('data', (d: Buffer) => {
          out += d.toString();
          const line = out.split('\n').find((l) => l.startsWith('{"url"'));
          if (line) {
            clearTimeout(timer);
            resolve((JSON.parse(line) as { url: string }).url);
          }
        });
      });
      const me = () =>
        fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_KEY}` }, body: JSON.stringify({ query: '{ me { id } }' }) });
      for (let i = 0; i < 3; i++) {
        const res = await me();
        expect(res.status).toBe(200);
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(exited).toBeUndefined();
      const metrics = await (await fetch(`${url}/metrics`)).text();
      expect(metrics).toMatch(/switchboard_internal_errors_total\{where="uncaught_exception"\} 3/);
      expect(metrics).toMatch(/switchboard_internal_errors_total\{where="unhandled_rejection"\} 3/);
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => (exited !== undefined ? r(undefined) : child.once('exit', r)));
      await db.cleanup();
    }
    // a process of its own: tsx and the embedded database take tens of seconds to start on a busy machine
  }, 150_000);
});
