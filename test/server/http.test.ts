import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close();
});

async function stillServing(): Promise<void> {
  const res = await server.gql<{ me: { role: string } }>('{ me { role } }');
  expect(res.data?.me.role).toBe('ADMIN');
}

describe('health and metrics', () => {
  it('/healthz and /readyz answer 200 while the database answers', async () => {
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
  });

  it('/metrics serves Prometheus text with per-operation counters and Node defaults', async () => {
    await server.gql('{ me { id } }');
    await server.trpc().me.query();
    const res = await fetch(`${server.url}/metrics`);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(text).toMatch(/switchboard_requests_total\{api="graphql",operation="me",outcome="ok"\} [1-9]/);
    expect(text).toMatch(/switchboard_requests_total\{api="trpc",operation="me",outcome="ok"\} [1-9]/);
    expect(text).toContain('switchboard_request_duration_seconds_bucket');
    expect(text).toContain('process_cpu_user_seconds_total');
  });

  it('GraphiQL is served from the package, with no CDN', async () => {
    const res = await fetch(`${server.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('<html');
    expect(html).not.toMatch(/<script[^>]+src="https?:\/\//);
    expect(html).not.toMatch(/unpkg\.com|jsdelivr|esm\.sh/);
  });
});

describe('bad input gets a clear error with a code, and the server stays up', () => {
  it('malformed JSON to GraphQL and tRPC', async () => {
    const gql = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${server.adminKey}` },
      body: '{"query": "{ me { id } }"',
    });
    expect(gql.status).toBe(400);
    const gqlBody = (await gql.json()) as { errors: Array<{ extensions: { code: string } }> };
    expect(gqlBody.errors[0]!.extensions.code).toBe('BAD_INPUT');

    const trpc = await fetch(`${server.url}/trpc/admin.createUser`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${server.adminKey}` },
      body: '{"email": ',
    });
    expect(trpc.status).toBe(400);
    const trpcBody = (await trpc.json()) as { error: { data: { appCode: string } } };
    expect(trpcBody.error.data.appCode).toBe('BAD_INPUT');
    await stillServing();
  });

  it('a GraphQL syntax error and an unknown field', async () => {
    const syntax = await server.gql('{ me { id ');
    expect(syntax.status).toBe(400);
    expect(syntax.errors?.[0]?.extensions?.code).toBe('BAD_INPUT');
    expect(syntax.errors?.[0]?.message).toMatch(/Syntax Error/);
    const unknown = await server.gql('{ nope }');
    expect(unknown.errors?.[0]?.extensions?.code).toBe('BAD_INPUT');
    expect(unknown.errors?.[0]?.message).toMatch(/nope/);
    await stillServing();
  });

  it('an unknown tRPC procedure', async () => {
    const res = await fetch(`${server.url}/trpc/does.not.exist`, { headers: { authorization: `Bearer ${server.adminKey}` } });
    expect(res.status).toBe(404);
    const body = (await res.json()) as { error: { message: string; data: { appCode: string } } };
    expect(body.error.data.appCode).toBe('NOT_FOUND');
    await stillServing();
  });

  it('a 10 MB body to either API is refused without reading it into memory', async () => {
    const big = JSON.stringify({ query: '{ me { id } }', variables: { pad: 'x'.repeat(10 * 1024 * 1024) } });
    for (const path of ['/graphql', '/trpc/admin.createUser']) {
      const res = await fetch(`${server.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${server.adminKey}` },
        body: big,
      });
      expect(res.status).toBe(413);
      const text = await res.text();
      expect(text).toContain('BAD_INPUT');
    }
    await stillServing();
  });

  it('a 10 MB chunked body (no Content-Length) is cut off at the limit too', async () => {
    for (const path of ['/graphql', '/trpc/admin.createUser']) {
      const { status, body } = await postChunked(path, 10 * 1024 * 1024);
      expect(status).toBe(path === '/graphql' ? 413 : 400);
      expect(body).toContain('BAD_INPUT');
    }
    await stillServing();
  });

  it('unknown paths are 404 with a code; no stack or internals in any error', async () => {
    const res = await fetch(`${server.url}/nowhere`);
    expect(res.status).toBe(404);
    expect(await res.text()).toContain('NOT_FOUND');
    const errors = await Promise.all([
      server.gql('{ me { id '),
      server.gql('mutation { createUser(input: { email: "nope" }) { id } }'),
      fetch(`${server.url}/trpc/admin.createUser`, { method: 'POST', headers: { authorization: `Bearer ${server.adminKey}` }, body: '{"email":1}' }).then((r) => r.json()),
    ]);
    const text = JSON.stringify(errors);
    expect(text).not.toMatch(/stack|at [A-Za-z]+ \(|node_modules|SELECT|INSERT/);
  });
});

describe('readiness', () => {
  it('/readyz is not 200 once the database cannot be reached; /healthz still is', async () => {
    const other = await startTestServer();
    try {
      expect((await fetch(`${other.url}/readyz`)).status).toBe(200);
      await other.app.db.close();
      const started = Date.now();
      expect((await fetch(`${other.url}/readyz`)).status).toBe(503);
      expect(Date.now() - started).toBeLessThan(5_000);
      expect((await fetch(`${other.url}/healthz`)).status).toBe(200);
    } finally {
      await other.close();
    }
  });
});

/** Streams a JSON body of about `size` bytes with Transfer-Encoding: chunked. */
function postChunked(path: string, size: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, server.url);
    const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${server.adminKey}` } }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', (error: NodeJS.ErrnoException) => {
      // the server may close the connection while we are still sending: fine once it answered
      if (error.code !== 'ECONNRESET' && error.code !== 'EPIPE') reject(error);
    });
    const chunk = 'x'.repeat(64 * 1024);
    req.write('{"query":"{ me { id } }","variables":{"pad":"');
    let sent = 0;
    const pump = () => {
      while (sent < size) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      req.end('"}}');
    };
    pump();
  });
}
