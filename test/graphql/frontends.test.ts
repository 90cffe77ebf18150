// GraphQL for frontends: typed documents (gql.tada) checked against schema.graphql, a wrong field
// failing the check; graphql-sse in single-connection mode; closed value sets as enums;
// deprecated aliases; GraphiQL compressed and cacheable.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { createClient as createSseClient } from 'graphql-sse';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUserWithKey, startTestServer, type TestServer } from '../helpers/server.ts';
import { metricValue } from '../limits/helpers.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const docs = join(root, 'test/graphql-documents');

async function run(args: string[]) {
  const result = await promisify(execFile)(process.execPath, args, { cwd: root, encoding: 'utf8', timeout: 240_000 }).then(
    ({ stdout, stderr }) => ({ code: 0, output: `${stdout}${stderr}` }),
    (error: { code?: number; stdout?: string; stderr?: string }) => ({ code: error.code ?? 1, output: `${error.stdout ?? ''}${error.stderr ?? ''}` }),
  );
  return result;
}
const gqlTada = join(root, 'node_modules/gql.tada/bin/cli.js');
const tsc = join(root, 'node_modules/typescript/bin/tsc');

let server: TestServer;
let key: string;
beforeAll(async () => {
  server = await startTestServer();
  ({ key } = await createUserWithKey(server, 'frontend@example.com'));
});
afterAll(async () => {
  await server?.close();
});

describe('typed documents (gql.tada) against schema.graphql', () => {
  it('generates the schema types, type-checks the documents, and fails a document with a wrong field', async () => {
    const generate = await run([gqlTada, 'generate', 'output', '--tsconfig', join(docs, 'tsconfig.json')]);
    expect(generate.output).toMatch(/generated successfully/);
    const typecheck = await run([tsc, '-p', join(docs, 'tsconfig.json')]);
    expect(typecheck.output).toBe('');
    expect(typecheck.code).toBe(0);
    const good = await run([gqlTada, 'check', '--tsconfig', join(docs, 'tsconfig.json')]);
    expect(good.output).toMatch(/No problems found/);
    expect(good.code).toBe(0);
    const bad = await run([gqlTada, 'check', '--tsconfig', join(docs, 'tsconfig.bad.json')]);
    expect(bad.output).toMatch(/wrong-field\.ts[\s\S]*Cannot query field "favouriteColour" on type "User"/);
    expect(bad.code).not.toBe(0);
  }, 300_000);
});

describe('graphql-sse', () => {
  it('streams a generation in single-connection mode', async () => {
    const internalBefore = await streamInternalErrors();
    const client = createSseClient({ url: `${server.url}/graphql/stream`, singleConnection: true, headers: { authorization: `Bearer ${key}` }, retryAttempts: 0 });
    try {
      const events: Array<{ __typename: string; text?: string; generation?: { id: string } }> = [];
      await new Promise<void>((resolve, reject) => {
        client.subscribe<{ generateStream: (typeof events)[number] }>(
          {
            query: 'subscription { generateStream(input: {model: "openai/gpt-5.5", prompt: "one two three"}) { __typename ... on TextDelta { text } ... on GenerationCompleted { generation { id } } } }',
          },
          { next: (v) => (v.errors ? reject(new Error(JSON.stringify(v.errors))) : events.push(v.data!.generateStream)), error: reject, complete: resolve },
        );
      });
      expect(events.at(-1)?.__typename).toBe('GenerationCompleted');
      const text = events.filter((e) => e.__typename === 'TextDelta').map((e) => e.text).join('');
      expect(text).toContain('one two three');
      const row = await server.app.db.prisma.usageRecord.findUnique({ where: { id: events.at(-1)!.generation!.id } });
      expect(row?.status).toBe('OK');
    } finally {
      client.dispose();
    }
    // The client's leaving (the stream's end after its last operation) is not an internal error:
    // it used to log "graphql-sse stream failed" at error level and count one.
    await new Promise((r) => setTimeout(r, 300));
    expect(await streamInternalErrors()).toBe(internalBefore);
  });
});

/** `switchboard_internal_errors_total{where="stream"}`, 0 before the first. */
const streamInternalErrors = () => metricValue(server.url, 'switchboard_internal_errors_total', 'where="stream"');

describe('schema shape', () => {
  it('ChatRole is an enum; CreatedApiKey keeps secret and deprecates its aliases', async () => {
    const res = await server.gql<{ role: { kind: string; enumValues: Array<{ name: string }> }; key: { fields: Array<{ name: string; isDeprecated: boolean }> } }>(
      '{ role: __type(name: "ChatRole") { kind enumValues { name } } key: __type(name: "CreatedApiKey") { fields(includeDeprecated: true) { name isDeprecated } } }',
    );
    expect(res.data!.role.kind).toBe('ENUM');
    expect(res.data!.role.enumValues.map((v) => v.name)).toEqual(expect.arrayContaining(['SYSTEM', 'USER', 'ASSISTANT']));
    const fields = new Map(res.data!.key.fields.map((f) => [f.name, f.isDeprecated]));
    expect(fields.get('secret')).toBe(false);
    expect(fields.get('key')).toBe(true);
    expect(fields.get('token')).toBe(true);
  });

  it('a message role outside the enum is refused', async () => {
    const res = await server.gql('mutation { generate(input: {model: "openai/gpt-5.5", messages: [{role: WIZARD, content: "x"}]}) { id } }', {}, key);
    expect(res.errors?.[0]?.message).toMatch(/WIZARD/);
    const ok = await server.gql<{ generate: { text: string } }>('mutation { generate(input: {model: "openai/gpt-5.5", messages: [{role: USER, content: "enum role"}]}) { text } }', {}, key);
    expect(ok.data?.generate.text).toContain('enum role');
  });
});

describe('GraphiQL', () => {
  const page = (headers: Record<string, string>) => request(`${server.url}/graphql`, { headers: { accept: 'text/html', ...headers } });

  it('is served compressed (br, gzip) with an ETag and Cache-Control, and 304 when unchanged', async () => {
    const br = await page({ 'accept-encoding': 'gzip, deflate, br' });
    expect(br.statusCode).toBe(200);
    expect(br.headers['content-encoding']).toBe('br');
    expect(String(br.headers['cache-control'])).toMatch(/max-age=\d+/);
    const etag = String(br.headers.etag);
    expect(etag).toMatch(/^".+"$/);
    const compressed = Buffer.from(await br.body.arrayBuffer());
    const html = brotliDecompressSync(compressed).toString('utf8');
    expect(html).toContain('<title>Switchboard</title>');
    expect(compressed.length).toBeLessThan(html.length / 3);

    const gz = await page({ 'accept-encoding': 'gzip' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(Buffer.from(await gz.body.arrayBuffer())).toString('utf8')).toBe(html);

    const plain = await page({});
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(await plain.body.text()).toBe(html);

    const again = await page({ 'accept-encoding': 'br', 'if-none-match': etag });
    expect(again.statusCode).toBe(304);
    expect(await again.body.text()).toBe('');
  });

  it('leaves GraphQL GETs to yoga', async () => {
    const res = await request(`${server.url}/graphql?query=${encodeURIComponent('{ __typename }')}`, { headers: { accept: 'application/json', authorization: `Bearer ${key}` } });
    expect(res.statusCode).toBe(200);
    expect(await res.body.json()).toEqual({ data: { __typename: 'Query' } });
  });
});
