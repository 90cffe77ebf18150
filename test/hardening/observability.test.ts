// Metrics with bounded labels behind a token, errors by code, upstream series; x-request-id on
// every response and on the access line; prompts never logged; tRPC batches bounded.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/platform/logger.ts';
import { createUserWithKey, startTestServer, type TestServer } from '../helpers/server.ts';
import { graphqlSse } from '../helpers/clients.ts';

const METRICS_TOKEN = 'metrics-token-for-tests-0123456789';
let server: TestServer;
let user: { userId: string; key: string };
const lines: string[] = [];
beforeAll(async () => {
  server = await startTestServer({ METRICS_TOKEN, TRPC_MAX_BATCH: '10' }, { logger: createLogger('info', [], (l) => void lines.push(l)) });
  user = await createUserWithKey(server, 'obs@example.com');
}, 180_000);
afterAll(async () => {
  await server?.close();
});

const scrape = async () => {
  const res = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  expect(res.status).toBe(200);
  return res.text();
};
// Switchboard's own series (Node's default metrics vary with the process's state, not with clients)
/** Distinct switchboard_* series (optionally counting series that differ only in outcome/code as one). */
const seriesCount = (text: string, { ignoreOutcome = false } = {}) => {
  const series = text.split('\n').filter((l) => l.startsWith('switchboard_')).map((l) => l.replace(/ [^ ]+$/, ''));
  return new Set(ignoreOutcome ? series.map((l) => l.replace(/,?(outcome|code)="[^"]*"/g, '')) : series).size;
};
const operationsOf = (text: string) => new Set([...text.matchAll(/operation="([^"]*)"/g)].map((m) => m[1]));

describe('/metrics', () => {
  it('answers 401 without the token, or with a wrong one', async () => {
    expect((await fetch(`${server.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${server.url}/metrics`, { headers: { authorization: 'Bearer nope' } })).status).toBe(401);
  });

  it('1,000 distinct operationNames leave the number of series unchanged', async () => {
    const gql = (name: string) =>
      fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${user.key}` },
        body: JSON.stringify({ query: `query ${name} { me { id } }`, operationName: name }),
      }).then((r) => r.text());
    await gql('Warmup');
    await gql('Warmup2');
    const beforeText = await scrape();
    const before = seriesCount(beforeText, { ignoreOutcome: true });
    for (let i = 0; i < 1_000; i += 50) await Promise.all(Array.from({ length: 50 }, (_, j) => gql(`Op${i + j}_${'x'.repeat(200)}`)));
    const text = await scrape();
    // Series only ever differ by outcome here (a loaded machine may time a request out, adding
    // an INTERNAL outcome series): the operation names never become series of their own.
    expect(seriesCount(text, { ignoreOutcome: true })).toBe(before);
    expect(operationsOf(text)).toEqual(operationsOf(beforeText));
    expect(text).not.toContain('Op999');
    expect(text).toMatch(/switchboard_requests_total\{api="graphql",operation="me",outcome="ok"\} [1-9]/);
  }, 180_000);

  it('counts GraphQL and tRPC errors by their code, and upstream calls by model and API', async () => {
    await server.gql('{ conversation(id: "00000000-0000-0000-0000-000000000000") { id } }', {}, user.key);
    await server.gql('{ me { id } }', {}, 'wrong-key');
    await server.gql('{ nope }', {}, user.key);
    await server.trpc(user.key).generate.mutate({ model: 'openai/gpt-5.5', prompt: 'count me' });
    await server.trpc(user.key).generate.mutate({ model: '@cf/moonshotai/kimi-k2.6', prompt: 'priced' });
    await fetch(`${server.url}/trpc/me`, { headers: { authorization: 'Bearer wrong' } });
    const text = await scrape();
    expect(text).toMatch(/switchboard_errors_total\{api="graphql",code="NOT_FOUND"\} [1-9]/);
    expect(text).toMatch(/switchboard_errors_total\{api="graphql",code="UNAUTHENTICATED"\} [1-9]/);
    expect(text).toMatch(/switchboard_errors_total\{api="graphql",code="BAD_INPUT"\} [1-9]/);
    expect(text).toMatch(/switchboard_errors_total\{api="trpc",code="UNAUTHENTICATED"\} [1-9]/);
    expect(text).toMatch(/switchboard_requests_total\{api="graphql",operation="me",outcome="UNAUTHENTICATED"\} [1-9]/);
    expect(text).toMatch(/switchboard_upstream_latency_seconds_count\{model="openai\/gpt-5.5",api="CHAT_COMPLETIONS"\} [1-9]/);
    expect(text).toMatch(/switchboard_upstream_tokens_total\{model="openai\/gpt-5.5",api="CHAT_COMPLETIONS",kind="input"\} [1-9]/);
    expect(text).toMatch(/switchboard_upstream_cost_usd_total\{model="@cf\/moonshotai\/kimi-k2.6",api="CHAT_COMPLETIONS"\} [0-9.e-]*[1-9]/);
  });

  it("observes each reply's wait for its write-ahead row, streamed and not, and the stream's time to first token", async () => {
    const count = (text: string, streamed: boolean) => Number(text.match(new RegExp(`switchboard_write_ahead_hold_seconds_count\\{streamed="${streamed}"\\} (\\d+)`))?.[1] ?? 0);
    const sum = (text: string, streamed: boolean) => Number(text.match(new RegExp(`switchboard_write_ahead_hold_seconds_sum\\{streamed="${streamed}"\\} ([0-9.e-]+)`))?.[1] ?? 0);
    const before = await scrape();
    await server.trpc(user.key).generate.mutate({ model: 'openai/gpt-5.5', prompt: 'held once' });
    await server.trpc(user.key).generate.mutate({ model: 'openai/gpt-5.5', prompt: 'held twice' });
    const { events } = await graphqlSse<{ __typename: string }>(server.url, user.key, 'subscription { generateStream(input: {model: "openai/gpt-5.5", prompt: "held stream"}) { __typename } }', {});
    expect(events.at(-1)).toMatchObject({ __typename: 'GenerationCompleted' });
    const after = await scrape();
    expect(count(after, false) - count(before, false)).toBe(2);
    expect(count(after, true) - count(before, true)).toBe(1);
    // the stream's time to first token is observed too
    const ttft = (text: string) => Number(text.match(/switchboard_upstream_time_to_first_token_seconds_count\{model="openai\/gpt-5.5",api="CHAT_COMPLETIONS"\} (\d+)/)?.[1] ?? 0);
    expect(ttft(after) - ttft(before)).toBeGreaterThanOrEqual(1);
    // a wait, in seconds: never negative, and far below the calls' own duration
    expect(sum(after, false)).toBeGreaterThanOrEqual(0);
    expect(sum(after, true)).toBeGreaterThanOrEqual(0);
    expect(sum(after, false) - sum(before, false)).toBeLessThan(10);
  });
});

describe('tRPC batches', () => {
  it('a batch over TRPC_MAX_BATCH is refused whole: no call runs', async () => {
    const calls = server.app.simulator!.requests.length;
    const paths = Array.from({ length: 11 }, () => 'generate').join(',');
    const input = Object.fromEntries(Array.from({ length: 11 }, (_, i) => [String(i), { model: 'openai/gpt-5.5', prompt: `batch ${i}` }]));
    const res = await fetch(`${server.url}/trpc/${paths}?batch=1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${user.key}` },
      body: JSON.stringify(input),
    });
    expect(res.status).toBe(400);
    expect(JSON.stringify(await res.json())).toContain('BAD_INPUT');
    expect(server.app.simulator!.requests.length).toBe(calls);
    // at the limit it runs
    const ten = await fetch(`${server.url}/trpc/${Array.from({ length: 10 }, () => 'me').join(',')}?batch=1&input=${encodeURIComponent('{}')}`, {
      headers: { authorization: `Bearer ${user.key}` },
    });
    expect(ten.status).toBe(200);
  });
});

describe('request ids and the access log', () => {
  it('every response has x-request-id; a sane client id is echoed; the access line carries it', async () => {
    for (const path of ['/healthz', '/readyz', '/metrics', '/nowhere', '/graphql?query=%7Bme%7Bid%7D%7D', '/trpc/me']) {
      const res = await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${user.key}` } });
      expect(res.headers.get('x-request-id'), path).toMatch(/^[0-9a-f-]{36}$/);
    }
    const id = `trace-${Date.now()}`;
    const res = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${user.key}`, 'x-request-id': id },
      body: JSON.stringify({ query: 'mutation { generate(input: { model: "openai/gpt-5.5", prompt: "very secret prompt text" }) { text } }' }),
    });
    expect(res.headers.get('x-request-id')).toBe(id);
    await res.text();
    const trpc = await fetch(`${server.url}/trpc/me`, { headers: { authorization: `Bearer ${user.key}`, 'x-request-id': `${id}-t` } });
    expect(trpc.headers.get('x-request-id')).toBe(`${id}-t`);
    await trpc.text();
    await new Promise((r) => setTimeout(r, 50));
    const access = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.message === 'request');
    const line = access.find((l) => l.requestId === id);
    expect(line).toMatchObject({ level: 'info', method: 'POST', path: '/graphql', operation: 'generate', userId: user.userId, status: 200 });
    expect(typeof line!.durationMs).toBe('number');
    expect(access.find((l) => l.requestId === `${id}-t`)).toMatchObject({ operation: 'me', userId: user.userId, status: 200 });
    // a refused call's line carries its code
    await fetch(`${server.url}/trpc/me`, { headers: { authorization: 'Bearer wrong', 'x-request-id': `${id}-bad` } });
    await new Promise((r) => setTimeout(r, 50));
    const bad = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.requestId === `${id}-bad`);
    expect(bad).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
    // prompts and completions are never logged by default; neither is a key
    expect(lines.join('\n')).not.toContain('very secret prompt text');
    expect(lines.join('\n')).not.toContain(user.key);
  });
});

describe('LOG_PROMPTS=true', () => {
  it('logs the operation (prompt included) on the request\'s lines', async () => {
    const logged: string[] = [];
    const verbose = await startTestServer({ LOG_PROMPTS: 'true' }, { logger: createLogger('info', [], (l) => void logged.push(l)) });
    try {
      await verbose.gql('mutation { generate(input: { model: "openai/gpt-5.5", prompt: "log me please" }) { text } }');
      await verbose.trpc().generate.mutate({ model: 'openai/gpt-5.5', prompt: 'log me too' });
      const lines = logged.map((l) => JSON.parse(l) as Record<string, unknown>);
      const gqlLine = lines.find((l) => String(l.query ?? '').includes('log me please'));
      expect(gqlLine?.requestId).toBeTruthy();
      expect(lines.some((l) => JSON.stringify(l.input ?? '').includes('log me too'))).toBe(true);
    } finally {
      await verbose.close();
    }
  }, 120_000);
});
