// The GraphQL fast path (src/graphql/fast-path.ts) answers one JSON operation per POST as yoga's
// own handler does. Two servers, one with the fast path and one without, get the same raw
// requests from the same kind of user (with limits, so the balance headers are sent); their
// status, content-type, balance headers and JSON bodies must be equal. Which requests the fast
// path takes is decided from the headers alone (wantsFastPath); the bodies it reads and cannot
// take (a batch, invalid JSON, unknown keys) are handed to yoga and must still answer the same.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wantsFastPath } from '../../src/graphql/fast-path.ts';
import { BALANCE_HEADERS } from '../../src/http/balance-headers.ts';
import { createUserWithKey, startTestServer, type TestServer } from '../helpers/server.ts';

interface Side {
  server: TestServer;
  userKey: string;
}
let fast: Side;
let slow: Side;

async function side(server: TestServer): Promise<Side> {
  const { userId, key } = await createUserWithKey(server, 'fast@example.com');
  await server.trpc().admin.setUserLimits.mutate({ userId, requestsPerMinute: 1000, tokensPerDay: 100_000, monthlyBudgetUsd: '25' });
  return { server, userKey: key };
}

beforeAll(async () => {
  const [a, b] = await Promise.all([startTestServer(), startTestServer({}, { fastPaths: false })]);
  [fast, slow] = await Promise.all([side(a), side(b)]);
});
afterAll(async () => {
  await Promise.all([fast?.server.close(), slow?.server.close()]);
});

interface Ask {
  method?: 'GET' | 'POST';
  path?: string;
  body?: string;
  contentType?: string | null;
  accept?: string;
  auth?: 'user' | 'none';
  /** Send the body as a stream: no content-length, a chunked request. */
  chunked?: boolean;
}

function requestHeaders(ask: Ask, key: string): Record<string, string> {
  const headers: Record<string, string> = {};
  if (ask.auth !== 'none') headers.authorization = `Bearer ${key}`;
  if (ask.contentType !== null && (ask.method ?? 'POST') === 'POST') headers['content-type'] = ask.contentType ?? 'application/json';
  if (ask.accept) headers.accept = ask.accept;
  return headers;
}

/** Generations differ in ids and timings between two servers: compare what must be equal. */
function comparable(body: unknown): unknown {
  return JSON.parse(JSON.stringify(body), (key, value: unknown) => (key === 'id' || key === 'latencyMs' ? typeof value : value));
}

/** A JSON body made comparable; anything else (an event stream, multipart) as its text. */
function json(text: string): unknown {
  try {
    return comparable(JSON.parse(text));
  } catch {
    return text;
  }
}

async function send(s: Side, ask: Ask) {
  const body = ask.chunked && ask.body !== undefined ? new Blob([ask.body]).stream() : ask.body;
  const res = await fetch(`${s.server.url}${ask.path ?? '/graphql'}`, {
    method: ask.method ?? 'POST',
    headers: requestHeaders(ask, s.userKey),
    body,
    ...(ask.chunked ? { duplex: 'half' } : {}),
  } as RequestInit);
  const text = await res.text();
  return {
    status: res.status,
    contentType: res.headers.get('content-type'),
    balance: Object.values(BALANCE_HEADERS).map((h) => res.headers.get(h)),
    body: json(text),
  };
}

const op = (query: string, rest: Record<string, unknown> = {}) => JSON.stringify({ query, ...rest });
const GENERATE = 'mutation G($p: String!) { generate(input: { model: "openai/gpt-5.5", prompt: $p }) { id text model latencyMs usage { inputTokens outputTokens totalTokens } } }';

const TAKEN: Array<[string, Ask]> = [
  ['a generate mutation', { body: op(GENERATE, { variables: { p: 'fast path parity' } }) }],
  ['a query with an operation name in the URL (as the dashboard sends)', { path: '/graphql?op=Me', body: op('query Me { me { email role } }', { operationName: 'Me' }) }],
  ['one of two operations, chosen by operationName', { body: op('query A { me { email } } query B { models { id } }', { operationName: 'A' }) }],
  ['an operationName that is not in the document', { body: op('query A { me { email } }', { operationName: 'Nope' }) }],
  ['two operations and no operationName', { body: op('query A { me { email } } query B { me { role } }') }],
  ['an unauthenticated query', { body: op('{ me { email } }'), auth: 'none' }],
  ['a bad model id (BAD_INPUT at the door)', { body: op(GENERATE.replace('openai/gpt-5.5', 'bad model\\u0000'), { variables: { p: 'x' } }) }],
  ['a field that does not exist (validation)', { body: op('{ nope }') }],
  ['a syntax error', { body: op('{ me {') }],
  ['a variable of the wrong type', { body: op(GENERATE, { variables: { p: 42 } }) }],
  ['a missing variable', { body: op(GENERATE, { variables: null }) }],
  ['a document nested too deep', { body: op(`{ me ${'{ email '.repeat(40)}${'}'.repeat(40)} }`) }],
  ['too many aliases', { body: op(`{ ${Array.from({ length: 60 }, (_, i) => `a${i}: me { email }`).join(' ')} }`) }],
  ['a subscription sent as a plain POST', { body: op('subscription { generateStream(input: { model: "openai/gpt-5.5", prompt: "x" }) { __typename } }') }],
  ['Accept: application/graphql-response+json, with an error', { body: op('{ nope }'), accept: 'application/graphql-response+json' }],
  ['Accept: application/graphql-response+json, application/json', { body: op('{ me { email } }'), accept: 'application/graphql-response+json, application/json' }],
  ['Accept: */*', { body: op('{ me { email } }'), accept: '*/*' }],
  ['a body with a byte order mark', { body: `\uFEFF${op('{ me { email } }')}` }],
  // Read by the fast path, then handed to yoga.
  ['a body that is not JSON', { body: '{"query":' }],
  ['a JSON body that is not an object', { body: '"{ me { email } }"' }],
  ['a batch of two operations', { body: JSON.stringify([{ query: '{ me { email } }' }, { query: '{ me { role } }' }]) }],
  ['an unknown parameter', { body: op('{ me { email } }', { persisted: true }) }],
  ['extensions', { body: op('{ me { email } }', { extensions: { trace: true } }) }],
  ['a query that is not a string', { body: JSON.stringify({ query: 42 }) }],
  ['variables that are an array', { body: op('{ me { email } }', { variables: [1] }) }],
  ['an empty body', { body: '' }],
];
const NOT_TAKEN: Array<[string, Ask]> = [
  ['a GET query', { method: 'GET', path: `/graphql?query=${encodeURIComponent('{ me { email } }')}` }],
  ['a chunked body', { body: op('{ me { email } }'), chunked: true }],
  ['Accept: text/event-stream', { body: op('{ me { email } }'), accept: 'text/event-stream' }],
  ['Accept: multipart/mixed', { body: op('{ me { email } }'), accept: 'multipart/mixed' }],
  ['Accept with a charset other than utf-8', { body: op('{ me { email } }'), accept: 'application/json; charset=latin1' }],
  ['Content-Type: application/graphql', { body: '{ me { email } }', contentType: 'application/graphql' }],
  ['no Content-Type', { body: op('{ me { email } }'), contentType: null }],
  ['another path', { path: '/graphql/stream', body: op('{ me { email } }') }],
];

/** The headers node:http would hand the server for this request. */
function nodeHeaders(ask: Ask): Record<string, string> {
  const headers = Object.fromEntries(Object.entries(requestHeaders(ask, 'k')).map(([k, v]) => [k.toLowerCase(), v]));
  if (!ask.chunked && ask.body !== undefined && (ask.method ?? 'POST') === 'POST') headers['content-length'] = String(Buffer.byteLength(ask.body));
  return headers;
}

describe('the GraphQL fast path answers as yoga does', () => {
  for (const [what, ask] of TAKEN) {
    it(`${what}: taken, same answer`, async () => {
      expect(wantsFastPath(ask.method ?? 'POST', ask.path ?? '/graphql', nodeHeaders(ask), '/graphql')).toBe(true);
      const [a, b] = await Promise.all([send(fast, ask), send(slow, ask)]);
      expect(a).toEqual(b);
    });
  }
  for (const [what, ask] of NOT_TAKEN) {
    it(`${what}: left to yoga, same answer`, async () => {
      expect(wantsFastPath(ask.method ?? 'POST', ask.path ?? '/graphql', nodeHeaders(ask), '/graphql')).toBe(false);
      const [a, b] = await Promise.all([send(fast, ask), send(slow, ask)]);
      expect(a).toEqual(b);
    });
  }

  it('answers carry the balance headers, and calls leave their rows', async () => {
    const [a, b] = await Promise.all([send(fast, TAKEN[0]![1]), send(slow, TAKEN[0]![1])]);
    expect(a.status).toBe(200);
    expect(a.balance.every((v) => v !== null)).toBe(true);
    expect(a).toEqual(b);
    const [fastRows, slowRows] = await Promise.all([fast, slow].map((s) => s.server.app.db.prisma.usageRecord.count({ where: { status: 'OK' } })));
    expect(fastRows).toBe(slowRows);
    expect(fastRows).toBeGreaterThanOrEqual(2);
  });
});
