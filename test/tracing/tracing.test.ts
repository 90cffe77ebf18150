// OpenTelemetry: with an in-memory exporter, a GraphQL and a tRPC call each leave a SERVER span
// named after the operation, a CLIENT span per upstream attempt with the GenAI attributes (model,
// tokens) and the cost, and a ledger-flush span, all in one trace whose id went upstream in
// `traceparent`. Off (no endpoint): the hooks do nothing.
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTracing, traceHeaders } from '../../src/platform/tracing.ts';
import { createUserWithKey, startTestServer, type TestServer } from '../helpers/server.ts';

const exporter = new InMemorySpanExporter();
let server: TestServer;
let key: string;

beforeAll(async () => {
  server = await startTestServer({}, { spanExporter: exporter });
  ({ key } = await createUserWithKey(server, 'traced@example.com'));
});
afterAll(async () => {
  await server?.close();
});

async function spansUntil(predicate: (spans: ReadableSpan[]) => boolean): Promise<ReadableSpan[]> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const spans = exporter.getFinishedSpans();
    if (predicate(spans) || Date.now() > deadline) return spans;
    await new Promise((r) => setTimeout(r, 50));
  }
}

const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;

describe('tracing on', () => {
  it('follows a GraphQL call from the operation to the upstream attempt to the ledger write', async () => {
    exporter.reset();
    const res = await server.gql<{ generate: { id: string } }>(
      'mutation Summarise { generate(input: {model: "@cf/moonshotai/kimi-k2.6", prompt: "trace me"}) { id } }',
      {},
      key,
    );
    const id = res.data!.generate.id;
    const spans = await spansUntil((s) => s.some((x) => x.name === 'graphql mutation Summarise'));
    const op = spans.find((s) => s.name === 'graphql mutation Summarise')!;
    expect(op).toBeDefined();
    expect(op.kind).toBe(1); // SERVER
    expect(op.attributes['graphql.operation.name']).toBe('Summarise');

    const attempt = spans.find((s) => s.attributes['switchboard.usage_id'] === id)!;
    expect(attempt).toBeDefined();
    expect(attempt.kind).toBe(2); // CLIENT
    expect(attempt.spanContext().traceId).toBe(op.spanContext().traceId);
    expect(parentOf(attempt)).toBe(op.spanContext().spanId);

    const row = await server.app.db.prisma.usageRecord.findUniqueOrThrow({ where: { id } });
    expect(attempt.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': '@cf/moonshotai/kimi-k2.6',
      'gen_ai.usage.input_tokens': row.inputTokens + row.cachedInputTokens + row.cacheWriteTokens,
      'gen_ai.usage.output_tokens': row.outputTokens,
      'switchboard.attempt': 1,
      'switchboard.status': 'OK',
    });
    expect(row.costUsd).not.toBeNull();
    expect(attempt.attributes['switchboard.cost_usd']).toBe(row.costUsd!.toString());
    expect(Number(attempt.attributes['gen_ai.usage.output_tokens'])).toBeGreaterThan(0);

    const flush = spans.find((s) => s.name === 'switchboard.ledger.flush' && s.spanContext().traceId === op.spanContext().traceId);
    expect(flush).toBeDefined();
    expect(Number(flush!.attributes['switchboard.ledger.rows'])).toBeGreaterThanOrEqual(1);

    // The trace context went upstream with the request.
    const sent = server.app.simulator!.requests.filter((r) => r.method === 'POST').at(-1)!;
    expect(String(sent.headers.traceparent)).toMatch(new RegExp(`^00-${op.spanContext().traceId}-[0-9a-f]{16}-01$`));
  });

  it('names a tRPC call after its procedure and records its attempt in the same trace', async () => {
    exporter.reset();
    const generation = await server.trpc(key, false).generate.mutate({ model: 'openai/gpt-5.5', prompt: 'trace me too' });
    const spans = await spansUntil((s) => s.some((x) => x.name === 'trpc generate'));
    const op = spans.find((s) => s.name === 'trpc generate')!;
    expect(op.attributes['rpc.method']).toBe('generate');
    const attempt = spans.find((s) => s.attributes['switchboard.usage_id'] === generation.id)!;
    expect(attempt.spanContext().traceId).toBe(op.spanContext().traceId);
    expect(attempt.attributes['gen_ai.request.model']).toBe('openai/gpt-5.5');
    expect(attempt.attributes['gen_ai.provider.name']).toBe('openai');
    expect(attempt.attributes['gen_ai.usage.output_tokens']).toBe(generation.usage.outputTokens);
  });
});

describe('tracing off', () => {
  it('starts nothing without an endpoint or exporter', async () => {
    const off = startTracing({});
    expect(off.enabled).toBe(false);
    await off.shutdown();
  });

  it('after shutdown, the hooks add no header', async () => {
    const exporter2 = new InMemorySpanExporter();
    const on = startTracing({ exporter: exporter2 });
    await on.shutdown();
    expect(traceHeaders()).toEqual({});
    expect(exporter2.getFinishedSpans()).toEqual([]);
  });
});
