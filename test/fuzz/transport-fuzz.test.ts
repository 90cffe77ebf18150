// Transport fuzzing: operations generated from the served GraphQL schema (introspected) and from
// the tRPC router (its procedures and their zod inputs), with plausible and hostile values, sent
// over every transport with real clients over real sockets: GraphQL over HTTP, graphql-sse
// (distinct connections and single connection) and graphql-ws; tRPC over HTTP, batched HTTP, SSE
// and WebSocket; the SDK surfaces (OpenAI and Anthropic wire formats under /v1/) with bodies
// generated from what the SDKs send, and the OTLP span receiver (test/fuzz/lib/sdk-ops.ts). Invariants: the process keeps serving (/healthz), no answer is INTERNAL (or a
// 500), no secret (admin key, user keys, the Cloudflare token) in any answer or log line, no
// prompt text in any error or log line, and ledger rows = upstream requests.
//
// Seeded: FUZZ_SEED=<n> reproduces a run (the seed is printed on failure); FUZZ_OPS sets the
// number of operations (default 2,000).
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/platform/logger.ts';
import { startSimulator, type Simulator } from '../../src/simulator/server.ts';
import { ADMIN_KEY, createUserWithKey, startTestServer, type TestServer } from '../helpers/server.ts';
import { graphqlOps, introspect, type GraphQLOp } from './lib/graphql-ops.ts';
import { GRAPHQL_TRANSPORTS, TRPC_TRANSPORTS, Transports, type Answer, type Transport } from './lib/transports.ts';
import { sdkOps, sendSdk, type SdkOp } from './lib/sdk-ops.ts';
import { trpcOps, type TrpcOp } from './lib/trpc-ops.ts';
import { PROMPT_MARK, textArb, type Pools } from './lib/values.ts';

const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : Math.floor(Math.random() * 2 ** 31);
const OPS = Number(process.env.FUZZ_OPS ?? 2_000);
const CONCURRENCY = 12;
/** An answer slower than this is a failure: nothing may hang (the simulator answers at once). */
const SLOW_MS = 20_000;
const CF_TOKEN = 'cf-fuzz-token-5f3a9c1e7b2d4086';
const OTLP_TOKEN = 'otlp-fuzz-token-8c2e4a6b0d1f3957';
/** Every inference endpoint: the three unified formats, embeddings, and /ai/run (universal and per model). */
const INFERENCE = /\/ai\/(v1\/(chat\/completions|responses|messages|embeddings)|run(\/|\?|$))/;

type Planned = { transport: Transport | 'sdk-http'; caller: 'admin' | 'user'; graphql?: GraphQLOp; trpc?: TrpcOp; sdk?: SdkOp };

let sim: Simulator;
let server: TestServer;
const logLines: string[] = [];
let user: { userId: string; key: string };
let victim: { userId: string; key: string };
const pools: Pools = { ids: [], userIds: [], cursors: [], models: ['openai/gpt-5.5', 'anthropic/claude-sonnet-4-5', 'workers-ai/@cf/meta/llama-3.1-8b-instruct', 'no-such/model'] };

beforeAll(async () => {
  sim = await startSimulator({ token: CF_TOKEN });
  server = await startTestServer(
    {
      CLOUDFLARE_API_TOKEN: CF_TOKEN,
      CLOUDFLARE_ACCOUNT_ID: 'fuzz-account',
      CLOUDFLARE_API_BASE_URL: sim.baseUrl,
      UPSTREAM_MAX_RETRIES: '0',
      WS_MAX_SUBSCRIPTIONS_PER_KEY: '200',
      WS_MAX_SOCKETS_PER_KEY: '50',
      RECONCILE_SOURCE: 'otlp',
      RECONCILE_OTLP_TOKEN: OTLP_TOKEN,
    },
    { logger: createLogger('debug', [CF_TOKEN, ADMIN_KEY, OTLP_TOKEN], (l) => void logLines.push(l)) },
  );
  user = await createUserWithKey(server, 'fuzz@example.com');
  victim = await createUserWithKey(server, 'victim@example.com');
  const mine = await server.trpc(user.key).chat.mutate({ model: 'openai/gpt-5.5', message: `${PROMPT_MARK} first` });
  const theirs = await server.trpc(victim.key).chat.mutate({ model: 'openai/gpt-5.5', message: `${PROMPT_MARK} theirs` });
  await server.trpc(user.key).chat.mutate({ model: 'openai/gpt-5.5', message: `${PROMPT_MARK} second` });
  const victimKeys = await server.trpc(victim.key).apiKeys.list.query();
  const page = await server.trpc(user.key).conversations.list.query({ first: 1 });
  const calls = await server.trpc(user.key).usage.recentCalls.query({ from: '2020-01-01T00:00:00Z', to: '2100-01-01T00:00:00Z', first: 1 });
  pools.ids.push(mine.conversation.id, theirs.conversation.id, mine.generation.id, 'default', '0190a5c4-0000-7000-8000-000000000000', ...victimKeys.map((k) => k.id));
  pools.userIds.push(victim.userId, '0190a5c4-0000-7000-8000-000000000001');
  pools.cursors.push(...[page.endCursor, calls.nextCursor].filter((c): c is string => typeof c === 'string'));
}, 180_000);

afterAll(async () => {
  await server?.close();
  await sim?.close();
});

describe(`transport fuzzing (FUZZ_SEED=${SEED})`, () => {
  it(`${OPS} generated operations over every transport keep every invariant`, async () => {
    const schema = await introspect(server.url, ADMIN_KEY);
    const gql = graphqlOps(schema, pools);
    const trpcAll = trpcOps(pools);
    const trpcCalls = trpcOps(pools, (p) => p.type !== 'subscription');
    const trpcStreams = trpcOps(pools, (p) => p.type === 'subscription');
    const caller = fc.constantFrom<'admin' | 'user'>('admin', 'user', 'user');
    // Calls that reach the upstream (random fields rarely make a whole valid call): the ledger check needs traffic.
    const callInput = fc.record({ model: fc.constantFrom(...pools.models.slice(0, 3)), maxTokens: fc.option(fc.integer({ min: 1, max: 40 }), { nil: undefined }) });
    const text = textArb();
    const trpcUpstream = fc.oneof(
      fc.record({ type: fc.constant<TrpcOp['type']>('mutation'), path: fc.constant('generate'), input: fc.tuple(callInput, text).map(([c, prompt]) => ({ ...c, prompt })) }),
      fc.record({ type: fc.constant<TrpcOp['type']>('mutation'), path: fc.constant('chat'), input: fc.tuple(callInput, text, fc.option(fc.constantFrom(...pools.ids.slice(0, 1)), { nil: undefined })).map(([c, message, conversationId]) => ({ ...c, message, conversationId })) }),
    );
    const trpcUpstreamStreams = fc.oneof(
      fc.record({ type: fc.constant<TrpcOp['type']>('subscription'), path: fc.constant('generateStream'), input: fc.tuple(callInput, text).map(([c, prompt]) => ({ ...c, prompt })) }),
      fc.record({ type: fc.constant<TrpcOp['type']>('subscription'), path: fc.constant('chatStream'), input: fc.tuple(callInput, text).map(([c, message]) => ({ ...c, message })) }),
    );
    const gqlUpstream = fc.tuple(callInput, text, fc.constantFrom('query', 'subscription')).map(([c, prompt, kind]): GraphQLOp => ({
      kind: kind === 'query' ? 'mutation' : 'subscription',
      field: kind === 'query' ? 'generate' : 'generateStream',
      query: kind === 'query' ? 'mutation G($input: GenerateInput!) { generate(input: $input) { id text usage { totalTokens } } }' : 'subscription S($input: GenerateInput!) { generateStream(input: $input) { __typename } }',
      variables: { input: { ...c, prompt } },
    }));
    const planned = fc.oneof(
      ...GRAPHQL_TRANSPORTS.map((transport) => fc.record({ transport: fc.constant<Transport>(transport), caller, graphql: fc.oneof({ arbitrary: gql, weight: 9 }, { arbitrary: gqlUpstream, weight: 1 }) })),
      ...TRPC_TRANSPORTS.map((transport) => {
        const generated = transport === 'trpc-sse' ? trpcStreams : transport === 'trpc-ws' ? trpcAll : trpcCalls;
        const upstream = transport === 'trpc-sse' ? trpcUpstreamStreams : transport === 'trpc-ws' ? fc.oneof(trpcUpstream, trpcUpstreamStreams) : trpcUpstream;
        return fc.record({ transport: fc.constant<Transport>(transport), caller, trpc: fc.oneof({ arbitrary: generated, weight: 9 }, { arbitrary: upstream, weight: 1 }) });
      }),
      fc.record({ transport: fc.constant<'sdk-http'>('sdk-http'), caller, sdk: sdkOps(pools) }),
    );
    const plan: Planned[] = fc.sample(planned, { seed: SEED, numRuns: OPS });

    const transports = new Transports(server.url);
    const failures: string[] = [];
    const perTransport = new Map<Planned['transport'], number>();
    const secrets = () => [ADMIN_KEY, CF_TOKEN, OTLP_TOKEN, user.key, victim.key];
    const describeOp = (p: Planned) =>
      `${p.transport} as ${p.caller}: ${p.graphql ? `${p.graphql.query} ${JSON.stringify(p.graphql.variables).slice(0, 300)}` : p.sdk ? `${p.sdk.method} ${p.sdk.path} (${p.sdk.auth}) ${p.sdk.body?.slice(0, 300) ?? ''}` : `${p.trpc!.type} ${p.trpc!.path} ${JSON.stringify(p.trpc!.input)?.slice(0, 300)}`}`;

    const check = (p: Planned, answer: Answer) => {
      const problems: string[] = [];
      if (answer.codes.includes('INTERNAL')) problems.push('answered INTERNAL');
      if (answer.codes.includes('FETCH_FAILED')) problems.push('the request failed without an answer');
      if (answer.status !== undefined && answer.status >= 500 && answer.status !== 503) problems.push(`HTTP ${answer.status}`);
      for (const s of secrets()) if (answer.text.includes(s)) problems.push('a secret in the answer');
      const leaking = answer.messages.find((m) => m.includes(PROMPT_MARK));
      if (leaking !== undefined) problems.push(`prompt text in an error message (${leaking.slice(0, 300)})`);
      if (problems.length === 0) return;
      failures.push(`${problems.join(', ')}: ${describeOp(p)} -> ${answer.text.slice(0, 400)}`);
    };

    let next = 0;
    const worker = async () => {
      while (next < plan.length) {
        const p = plan[next++]!;
        const key = p.caller === 'admin' ? ADMIN_KEY : user.key;
        perTransport.set(p.transport, (perTransport.get(p.transport) ?? 0) + 1);
        const started = performance.now();
        const answer = p.graphql
          ? await transports.graphql(p.transport as (typeof GRAPHQL_TRANSPORTS)[number], key, p.graphql).catch((e: unknown) => ({ codes: [], messages: [String(e)], text: String(e), status: undefined }))
          : p.sdk
            ? await sendSdk(server.url, key, p.sdk, OTLP_TOKEN)
            : await transports.trpcCall(p.transport as (typeof TRPC_TRANSPORTS)[number], key, p.trpc!);
        check(p, answer);
        const tookMs = performance.now() - started;
        if (tookMs > SLOW_MS) failures.push(`answered after ${Math.round(tookMs / 1000)} s (a hang?): ${describeOp(p)}`);
        if (next % 200 === 0) {
          const health = await fetch(`${server.url}/healthz`);
          if (health.status !== 200) failures.push(`/healthz answered ${health.status} after ${next} operations`);
        }
      }
    };
    try {
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    } finally {
      await transports.close();
    }

    // The process still serves; the ledger has one row per upstream request.
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 200));
    await server.app.ledger.drain();
    const rowList = await server.app.db.prisma.usageRecord.findMany({ select: { id: true, status: true, errorCode: true, upstreamStatus: true } });
    const requests = sim.requests.filter((r) => INFERENCE.test(r.path));
    const eventIds = requests.map((r) => String(r.headers['cf-aig-event-id']));
    const rowIds = new Set(rowList.map((r) => r.id));
    const rows = rowList.length;
    const upstream = requests.length;
    // Every upstream request has its row (the row id is the request's cf-aig-event-id), one each.
    const unrecorded = eventIds.filter((id) => !rowIds.has(id));
    const duplicated = eventIds.filter((id, i) => eventIds.indexOf(id) !== i);
    // A row without a request is a call that ended before its request left (cancelled, refused).
    const requested = new Set(eventIds);
    const withoutRequest = rowList.filter((r) => !requested.has(r.id));
    // No secret and no prompt text in any log line.
    const logText = logLines.join('\n');
    const logProblems = [...secrets().filter((s) => logText.includes(s)).map(() => 'a secret in a log line'), ...(logText.includes(PROMPT_MARK) ? [`prompt text in a log line: ${logLines.find((l) => l.includes(PROMPT_MARK))!.slice(0, 400)}`] : [])];

    console.log(`transport fuzzing: seed ${SEED}, ${plan.length} operations (${[...perTransport].map(([t, n]) => `${t} ${n}`).join(', ')}), ${rows} ledger rows, ${upstream} upstream requests`);
    // An error-level line is an internal fault, answered or not (a stream's end once counted and
    // logged one while every answer looked right); it also tells what drew an INTERNAL answer.
    const errorLines = logLines.filter((l) => l.startsWith('{"level":"error"') || l.startsWith('{"level":"fatal"')).slice(0, 5);
    const summary = [...failures.slice(0, 20), ...logProblems, ...errorLines.map((l) => `an error-level log line: ${l.slice(0, 600)}`)];
    expect(summary, `FUZZ_SEED=${SEED} reproduces this run (${failures.length} failing operations)`).toEqual([]);
    expect({ unrecorded, duplicated }, `FUZZ_SEED=${SEED}: every upstream request has exactly one ledger row`).toEqual({ unrecorded: [], duplicated: [] });
    expect(withoutRequest.filter((r) => r.status === 'OK' || r.status === 'PENDING' || r.upstreamStatus !== null), `FUZZ_SEED=${SEED}: a row without an upstream request never says it was answered`).toEqual([]);
    if (withoutRequest.length > 0) console.log(`rows whose call ended before its request left: ${JSON.stringify(withoutRequest)}`);
  }, 600_000);
});
