// The door (contract v2): a value that cannot be stored or sent is BAD_INPUT with its field,
// before limits, upstream or ledger. While one user sends NUL / lone-surrogate / control
// characters in every string field over GraphQL and tRPC, another user's 200 concurrent calls all
// succeed and all have rows; the poison calls leave no row, no upstream request, no reservation.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateInput } from '../../src/domain/generation/schemas.ts';
import { toChatMessage } from '../../src/domain/generation/message-input.ts';
import { validateUpstreamRequest } from '../../src/upstream/validate.ts';
import type { UpstreamRequest } from '../../src/upstream/call-vocabulary.ts';
import { postTrpc, userWithKey } from '../limits/helpers.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

let server: TestServer;
let poisoner: { userId: string; key: string };
let victim: { userId: string; key: string };

beforeAll(async () => {
  server = await startTestServer({ AUTH_CACHE_TTL_MS: '0' });
  poisoner = await userWithKey(server.url, 'poisoner@example.com');
  victim = await userWithKey(server.url, 'victim@example.com');
  // Two calls a minute: a poison call that took a reservation would use one up.
  const limits = await postTrpc(server.url, server.adminKey, 'admin.setUserLimits', { userId: poisoner.userId, requestsPerMinute: 2 });
  expect(limits.ok).toBe(true);
}, 120_000);
afterAll(async () => {
  await server?.close();
});

const POISON = { nul: 'a\u0000b', surrogate: 'a\ud800b', lowSurrogate: '\udc00x', bell: 'a\u0007b', escape: '\u001b[31m', c1: 'a\u0085b' };
const MODEL = 'openai/gpt-5.5';

/** Every string field of generate and chat, each poisoned alone: [operation, input, the field named]. */
function poisonCases(bad: string): Array<[string, Record<string, unknown>, string]> {
  return [
    ['generate', { model: `openai/${bad}`, prompt: 'hi' }, 'model'],
    ['generate', { model: MODEL, prompt: bad }, 'prompt'],
    ['generate', { model: MODEL, prompt: 'hi', system: bad }, 'system'],
    ['generate', { model: MODEL, messages: [{ role: 'USER', content: bad }] }, 'messages.0.content'],
    ['generate', { model: MODEL, prompt: 'hi', gatewayId: bad }, 'gatewayId'],
    ['generate', { model: MODEL, prompt: 'hi', idempotencyKey: bad }, 'idempotencyKey'],
    ['generate', { model: MODEL, prompt: 'hi', metadata: { team: bad } }, 'metadata'], // contract v3: field metadata
    ['generate', { model: MODEL, prompt: 'hi', metadata: { [bad]: 'x' } }, 'metadata'],
    ['chat', { model: MODEL, message: bad }, 'message'],
    ['chat', { model: MODEL, message: 'hi', system: bad }, 'system'],
    ['chat', { model: MODEL, message: 'hi', conversationId: bad }, 'conversationId'],
    ['chat', { model: MODEL, message: 'hi', idempotencyKey: bad }, 'idempotencyKey'],
  ];
}

const GQL = {
  generate: 'mutation($input: GenerateInput!) { generate(input: $input) { id } }',
  chat: 'mutation($input: ChatInput!) { chat(input: $input) { generation { id } } }',
} as const;

async function poisonOnce(op: string, input: Record<string, unknown>): Promise<Array<{ code: unknown; field: unknown }>> {
  const trpc = await postTrpc(server.url, poisoner.key, op, input);
  const gql = await server.gql(GQL[op as keyof typeof GQL], { input }, poisoner.key);
  return [
    { code: trpc.ok ? 'OK' : trpc.error.data.appCode, field: trpc.ok ? undefined : trpc.error.data.field },
    { code: gql.errors?.[0]?.extensions?.code ?? 'OK', field: gql.errors?.[0]?.extensions?.field },
  ];
}

const rowsOf = (userId: string) => server.app.db.prisma.usageRecord.findMany({ where: { userId } });

describe('poison at the door', () => {
  it("one user's poison in every string field is BAD_INPUT (field named) while another user's 200 concurrent calls all succeed with rows", async () => {
    const sentBefore = server.app.simulator!.requests.length;
    let poisonRunning = true;
    const outcomes: Array<{ op: string; expected: string; code: unknown; field: unknown }> = [];
    const poison = (async () => {
      // Keep poisoning for as long as the victim's calls run (and at least one full round).
      for (let round = 0; round < 1 || poisonRunning; round++) {
        for (const bad of Object.values(POISON)) {
          for (const [op, input, field] of poisonCases(bad)) {
            for (const o of await poisonOnce(op, input)) outcomes.push({ op, expected: field, ...o });
          }
        }
      }
    })();
    const calls = Array.from({ length: 200 }, (_, i) =>
      i % 2 === 0
        ? postTrpc<{ id: string; text: string }>(server.url, victim.key, 'generate', { model: MODEL, prompt: `victim call ${i}` }).then((r) => (r.ok ? r.data : Promise.reject(new Error(JSON.stringify(r.error)))))
        : server.gql<{ generate: { id: string; text: string } }>('mutation($p: String!) { generate(input: { model: "openai/gpt-5.5", prompt: $p }) { id text } }', { p: `victim call ${i}` }, victim.key).then((r) =>
            r.data?.generate ? r.data.generate : Promise.reject(new Error(JSON.stringify(r.errors))),
          ),
    );
    const results = await Promise.allSettled(calls);
    poisonRunning = false;
    await poison;

    const failed = results.filter((r) => r.status === 'rejected');
    expect(failed).toEqual([]);
    const ids = results.map((r) => (r.status === 'fulfilled' ? r.value.id : ''));
    const victimRows = await rowsOf(victim.userId);
    expect(victimRows).toHaveLength(200);
    expect(new Set(victimRows.map((r) => r.id))).toEqual(new Set(ids));
    expect(victimRows.every((r) => r.status === 'OK')).toBe(true);

    expect(outcomes.length).toBeGreaterThanOrEqual(2 * 12 * Object.keys(POISON).length);
    for (const o of outcomes) {
      expect(o.code, `${o.op} ${o.expected}`).toBe('BAD_INPUT');
      if (o.expected === 'metadata') expect(String(o.field)).toMatch(/^metadata/);
      else expect(o.field, `${o.op}`).toBe(o.expected);
    }
    // No row, no upstream request from the poisoner.
    expect(await rowsOf(poisoner.userId)).toHaveLength(0);
    const poisonerRequests = server.app.simulator!.requests.slice(sentBefore).filter((r) => !JSON.stringify(r.body).includes('victim call'));
    expect(poisonerRequests).toHaveLength(0);
    // No reservation: the poisoner's two calls a minute are both still there (and the limit is real).
    for (const n of [1, 2]) expect((await postTrpc(server.url, poisoner.key, 'generate', { model: MODEL, prompt: `clean ${n}` })).ok).toBe(true);
    const third = await postTrpc(server.url, poisoner.key, 'generate', { model: MODEL, prompt: 'clean 3' });
    expect(third.ok ? 'OK' : third.error.data.appCode).toBe('RATE_LIMITED');
    expect(await rowsOf(poisoner.userId)).toHaveLength(2);
  }, 600_000);

  it('the Idempotency-Key header follows the same rule, for mutations and streams alike', async () => {
    const before = (await rowsOf(victim.userId)).length;
    for (const header of ['clé', ' '.repeat(3), 'k'.repeat(256)]) {
      const res = await postTrpc(server.url, victim.key, 'generate', { model: MODEL, prompt: 'keyed' }, { 'idempotency-key': header });
      expect(res.ok ? 'OK' : res.error.data).toMatchObject({ appCode: 'BAD_INPUT', field: 'idempotencyKey' });
      const stream = await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${victim.key}`, 'idempotency-key': header },
        body: JSON.stringify({ query: 'subscription { generateStream(input: { model: "openai/gpt-5.5", prompt: "keyed" }) { __typename } }' }),
      });
      expect(await stream.text()).toContain('BAD_INPUT');
    }
    expect(await rowsOf(victim.userId)).toHaveLength(before);
  }, 120_000);

  it('numeric ranges are the upstream validator\'s: cache.ttlSeconds 0 is BAD_INPUT at the door, with no row', async () => {
    const before = (await rowsOf(victim.userId)).length;
    const res = await postTrpc(server.url, victim.key, 'generate', { model: MODEL, prompt: 'ttl', cache: { ttlSeconds: 0 } });
    expect(res.ok ? 'OK' : res.error.data).toMatchObject({ appCode: 'BAD_INPUT', field: 'cache.ttlSeconds' });
    const model = await postTrpc(server.url, victim.key, 'generate', { model: 'openai/gpt\r\n☃', prompt: 'x' });
    expect(model.ok ? 'OK' : model.error.data).toMatchObject({ appCode: 'BAD_INPUT', field: 'model' });
    expect(await rowsOf(victim.userId)).toHaveLength(before);
  }, 120_000);

  it('non-Latin-1 metadata is sent as ASCII-escaped JSON and arrives intact', async () => {
    const metadata = { city: 'Zürich ☃', emoji: '😀', n: 3 };
    const res = await postTrpc<{ id: string }>(server.url, victim.key, 'generate', { model: MODEL, prompt: 'tagged', metadata });
    expect(res.ok).toBe(true);
    const sent = server.app.simulator!.requests.find((r) => r.headers['cf-aig-event-id'] === (res.ok ? res.data.id : ''))!;
    const header = String(sent.headers['cf-aig-metadata']);
    expect(header).toMatch(/^[\x20-\x7E]+$/);
    expect(JSON.parse(header)).toEqual(metadata);
  }, 120_000);
});

describe('one rule: what the door accepts, the upstream validator accepts', () => {
  const text = fc.oneof(fc.string(), fc.constantFrom('', ' ', 'hi', '\t', 'a\u0000', '\ud800', 'é☃'));
  const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
  const input = fc.record({
    model: fc.oneof(fc.constantFrom('openai/gpt-5.5', '@cf/moonshotai/kimi-k2.6', 'anthropic/claude-sonnet-4-5'), fc.string()),
    prompt: maybe(text),
    messages: maybe(fc.array(fc.record({ role: fc.constantFrom('system', 'user', 'assistant'), content: text }), { maxLength: 4 })),
    system: maybe(text),
    maxTokens: maybe(fc.oneof(fc.integer(), fc.double())),
    temperature: maybe(fc.double()),
    gatewayId: maybe(fc.oneof(fc.string(), fc.constantFrom('default', 'gw-a', 'a'.repeat(64), 'a'.repeat(65)))),
    cache: maybe(fc.record({ ttlSeconds: maybe(fc.oneof(fc.integer({ min: -2, max: 3_000_000 }), fc.double())), skip: maybe(fc.boolean()) })),
    metadata: maybe(fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.double(), fc.boolean()), { maxKeys: 7 })),
  });

  it('generateInput-accepted inputs never fail validateUpstreamRequest', () => {
    fc.assert(
      fc.property(input, (raw) => {
        const parsed = generateInput.safeParse(raw);
        if (!parsed.success) return;
        const i = parsed.data;
        // As generation-service + call-runner build it: system-role messages join the system prompt.
        const messages = typeof i.prompt === 'string' ? [{ role: 'user' as const, content: i.prompt }] : (i.messages ?? []).filter((m) => m.role !== 'system').map(toChatMessage);
        const request: UpstreamRequest = {
          model: i.model,
          messages,
          gatewayId: i.gatewayId ?? 'default',
          eventId: '0190a5c8-0000-7000-8000-000000000000',
          ...(i.system != null && { system: i.system }),
          ...(i.maxTokens != null && { maxTokens: i.maxTokens }),
          ...(i.temperature != null && { temperature: i.temperature }),
          ...(i.cache && { cache: { ...(i.cache.ttlSeconds != null && { ttlSeconds: i.cache.ttlSeconds }), ...(i.cache.skip != null && { skip: i.cache.skip }) } }),
          ...(i.metadata && { metadata: i.metadata }),
        };
        validateUpstreamRequest(request);
      }),
      { numRuns: 2_000 },
    );
  });
});
