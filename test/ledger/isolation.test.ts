// A bad row fails only its own call: when a group commit fails, its rows are written one by one,
// and a row the database refuses fails its own call with INTERNAL (no reply text reaches that
// client) while every other call in the batch succeeds with its row.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uuidv7 } from '../../src/platform/ids.ts';
import { createLedger } from '../../src/domain/ledger/ledger.ts';
import type { UsageRow } from '../../src/domain/ledger/usage-row.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { postTrpc, userWithKey } from '../limits/helpers.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

let server: TestServer;
let user: { userId: string; key: string };
const REFUSED_MODEL = 'openai/refuse-me';

beforeAll(async () => {
  server = await startTestServer();
  user = await userWithKey(server.url, 'isolation@example.com');
  // Injected below the door: the database itself refuses the rows of one (valid) model id.
  await server.app.db.execute(
    `CREATE FUNCTION "test_refuse_row"() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN
       IF NEW."requestedModel" = '${REFUSED_MODEL}' THEN RAISE EXCEPTION 'row refused by the test' USING ERRCODE = '23514'; END IF;
       RETURN NEW;
     END $$`,
    [],
  );
  await server.app.db.execute(`CREATE TRIGGER "test_refuse_row" BEFORE INSERT ON "UsageRecord" FOR EACH ROW EXECUTE FUNCTION "test_refuse_row"()`, []);
}, 120_000);
afterAll(async () => {
  await server?.close();
});

describe('a row the database refuses fails only its own call', () => {
  it('over both APIs, streamed and not: refused calls are INTERNAL with no text and no row; the others all succeed with rows', async () => {
    const calls = Array.from({ length: 60 }, (_, i) => {
      const refused = i % 6 === 0;
      const model = refused ? REFUSED_MODEL : 'openai/gpt-5.5';
      const prompt = `isolation ${i}`;
      const kind = i % 3;
      if (kind === 0) {
        return postTrpc<{ id: string }>(server.url, user.key, 'generate', { model, prompt }).then((r) => ({ refused, code: r.ok ? 'OK' : r.error.data.appCode, id: r.ok ? r.data.id : undefined, text: '' }));
      }
      if (kind === 1) {
        return server
          .gql<{ generate: { id: string } }>('mutation($i: GenerateInput!) { generate(input: $i) { id } }', { i: { model, prompt } }, user.key)
          .then((r) => ({ refused, code: r.errors?.[0]?.extensions?.code ?? 'OK', id: r.data?.generate?.id, text: '' }));
      }
      // A streamed call over GraphQL SSE: the whole response body, to check no text leaked.
      return fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${user.key}` },
        body: JSON.stringify({
          query: 'subscription($i: GenerateInput!) { generateStream(input: $i) { __typename ... on TextDelta { text } ... on GenerationCompleted { generation { id } } } }',
          variables: { i: { model, prompt } },
        }),
      })
        .then((res) => res.text())
        .then((body) => {
          const id = /"generation":\{"id":"([^"]+)"/.exec(body)?.[1];
          const code = /"code":"([A-Z_]+)"/.exec(body)?.[1] ?? (id ? 'OK' : 'NONE');
          return { refused, code, id, text: body.includes('TextDelta') ? body : '' };
        });
    });
    const results = await Promise.all(calls);
    const rows = await server.app.db.prisma.usageRecord.findMany({ where: { userId: user.userId } });
    for (const r of results) {
      if (r.refused) {
        expect(r.code).toBe('INTERNAL');
        expect(r.text).toBe('');
      } else {
        expect(r.code).toBe('OK');
        expect(rows.find((row) => row.id === r.id)).toMatchObject({ status: 'OK' });
      }
    }
    expect(rows.filter((row) => row.requestedModel === REFUSED_MODEL)).toHaveLength(0);
    expect(rows).toHaveLength(results.filter((r) => !r.refused).length);
  }, 300_000);

  it('the ledger writes a failed batch again row by row (a NUL the database cannot store fails alone)', async () => {
    const ledger = createLedger({ db: server.app.db, logger: createLogger('silent') });
    const row = (model: string): UsageRow => {
      const id = uuidv7();
      return {
        id, callId: id, attempt: 1, ownerId: null, userId: user.userId, apiKeyId: null, teamId: null, tags: null, requestedModel: model, servedModel: null, api: 'CHAT_COMPLETIONS',
        gatewayId: 'default', status: 'OK', errorCode: null, upstreamStatus: null, streamed: false, transport: 'test', surface: 'GRAPHQL', inputTokens: 1,
        outputTokens: 1, cachedInputTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, totalTokens: 2, costUsd: null, priceVersionId: null,
        latencyMs: 1, timeToFirstTokenMs: null, cacheStatus: null, upstreamLogId: null, idempotencyKey: null, conversationId: null,
        usageEstimated: false, finishReason: null, cacheHit: false, cacheSavedUsd: null, neurons: null, createdAt: new Date(), finishedAt: new Date(),
      };
    };
    const good = Array.from({ length: 20 }, () => row('openai/batch-mate'));
    const bad = row('openai/\u0000nul');
    // Handed in within one tick: one batch.
    const settled = await Promise.allSettled([...good.slice(0, 10), bad, ...good.slice(10)].map((r) => ledger.begin(r)));
    expect(settled.filter((s) => s.status === 'rejected')).toHaveLength(1);
    expect(settled[10]!.status).toBe('rejected');
    const stored = await server.app.db.prisma.usageRecord.findMany({ where: { id: { in: [...good, bad].map((r) => r.id) } }, select: { id: true } });
    expect(new Set(stored.map((s) => s.id))).toEqual(new Set(good.map((r) => r.id)));
  }, 120_000);
});
