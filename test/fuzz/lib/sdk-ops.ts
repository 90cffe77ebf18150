// Requests to the SDK surfaces (the OpenAI and Anthropic wire formats under /v1/) and to the
// OTLP receiver (/otlp/v1/traces, the gateway's span export): plausible
// bodies an SDK sends, with hostile values in any field, wrong types, unknown fields, bodies that
// are not JSON and the wrong credentials header. Sent with fetch over a real socket; the answer is
// reduced to the fuzz suite's Answer (status, error messages, the whole text).
import fc from 'fast-check';
import type { Answer } from './transports.ts';
import { hostileString, hostileValue, sometimesHostile, textArb, type Pools } from './values.ts';

export interface SdkOp {
  method: 'GET' | 'POST';
  path: string;
  /** Raw body (JSON or not). */
  body?: string;
  /** The key goes in `authorization: Bearer` (OpenAI) or `x-api-key` (Anthropic); `otlp`: the receiver's own token. */
  auth: 'bearer' | 'x-api-key' | 'otlp' | 'none';
  contentType?: string;
  /** An Idempotency-Key header: repeats (streams included) replay, another body conflicts, a bad key is refused. */
  idempotencyKey?: string;
}

/** Few keys, so that repeats and conflicts happen; one too long, one with a character no key may hold. */
const idempotencyKeyArb = fc.option(fc.constantFrom('sdk-key-1', 'sdk-key-2', 'k'.repeat(256), 'tab\there'), { nil: undefined, freq: 2 });

const EMBEDDING_MODELS = ['@cf/baai/bge-m3', '@cf/baai/bge-small-en-v1.5', 'no-such/embedder'];

const maybe = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });

function messagesArb(hostile: boolean, roles: readonly string[]) {
  const part = fc.oneof(
    fc.record({ type: fc.constant('text'), text: textArb() }),
    fc.record({ type: fc.constantFrom('image_url', 'input_text', 'tool_result', 'nonsense'), text: maybe(textArb()), image_url: maybe(fc.record({ url: fc.constantFrom('data:image/png;base64,AAAA', 'http://127.0.0.1/x.png', 'not a url') })) }),
  );
  const message = fc.record({
    role: sometimesHostile(fc.constantFrom(...roles), hostile),
    content: sometimesHostile(fc.oneof(textArb(), fc.array(part, { maxLength: 3 })), hostile),
  });
  return sometimesHostile(fc.array(message, { minLength: 1, maxLength: 4 }), hostile);
}

/** A JSON object with some fields, extra unknown fields, and (hostile) any field replaced. */
function jsonBody(fields: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<string> {
  return fc
    .tuple(fc.record(fields, { requiredKeys: [] }), fc.dictionary(fc.constantFrom('extra', 'user', '__proto__', 'n', 'logprobs', 'service_tier'), hostileValue, { maxKeys: 2 }))
    .map(([body, extra]) => JSON.stringify({ ...extra, ...body }));
}

export function sdkOps(pools: Pools): fc.Arbitrary<SdkOp> {
  return fc.boolean().chain((hostile) => {
    const model = sometimesHostile(fc.constantFrom(...pools.models), hostile);
    const stream = sometimesHostile(fc.boolean(), hostile);
    const tokens = sometimesHostile(fc.integer({ min: 1, max: 40 }), hostile);
    const chat = jsonBody({
      model,
      messages: messagesArb(hostile, ['system', 'user', 'assistant', 'developer', 'tool']),
      stream,
      max_tokens: tokens,
      max_completion_tokens: tokens,
      temperature: sometimesHostile(fc.double({ min: 0, max: 2, noNaN: true }), hostile),
      stop: sometimesHostile(fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }), hostile),
      tools: sometimesHostile(fc.constant([{ type: 'function', function: { name: 'weather', parameters: { type: 'object' } } }]), hostile),
      stream_options: sometimesHostile(fc.constant({ include_usage: true }), hostile),
    });
    const responses = jsonBody({
      model,
      input: sometimesHostile(fc.oneof(textArb(), fc.array(fc.record({ role: fc.constantFrom('user', 'assistant'), content: textArb() }), { minLength: 1, maxLength: 3 })), hostile),
      instructions: sometimesHostile(textArb(), hostile),
      stream,
      max_output_tokens: tokens,
    });
    const messages = jsonBody({
      model,
      max_tokens: tokens,
      messages: messagesArb(hostile, ['user', 'assistant']),
      system: sometimesHostile(fc.oneof(textArb(), fc.constant([{ type: 'text', text: 'be brief' }])), hostile),
      stream,
      metadata: sometimesHostile(fc.record({ user_id: fc.string({ maxLength: 10 }) }), hostile),
    });
    const embeddings = jsonBody({
      model: sometimesHostile(fc.constantFrom(...EMBEDDING_MODELS), hostile),
      input: sometimesHostile(fc.oneof(textArb(), fc.array(textArb(), { minLength: 1, maxLength: 3 })), hostile),
      dimensions: sometimesHostile(fc.integer({ min: 1, max: 2048 }), hostile),
      encoding_format: sometimesHostile(fc.constantFrom('float', 'base64'), hostile),
    });
    const junk = fc.oneof(fc.constantFrom('', 'not json', '{', '[]', 'null', '"x"', '{"model":'), hostileString);
    const openaiAuth = fc.constantFrom<SdkOp['auth']>('bearer', 'bearer', 'bearer', 'x-api-key', 'none');
    const anthropicAuth = fc.constantFrom<SdkOp['auth']>('x-api-key', 'x-api-key', 'bearer', 'none');
    const post = (path: string, body: fc.Arbitrary<string>, auth: fc.Arbitrary<SdkOp['auth']>) =>
      fc.record({ method: fc.constant<'POST'>('POST'), path: fc.constant(path), body: fc.oneof({ arbitrary: body, weight: 6 }, { arbitrary: junk, weight: 1 }), auth, contentType: fc.constantFrom('application/json', 'application/json', 'text/plain', 'application/x-www-form-urlencoded'), idempotencyKey: idempotencyKeyArb });
    return fc.oneof(
      post('/v1/chat/completions', chat, openaiAuth),
      post('/v1/responses', responses, openaiAuth),
      post('/v1/messages', messages, anthropicAuth),
      post('/v1/embeddings', embeddings, openaiAuth),
      fc.record({ method: fc.constant<'GET'>('GET'), path: fc.oneof(fc.constant('/v1/models'), fc.constantFrom(...pools.models, '..%2F..%2Fetc', '%00', 'x'.repeat(300)).map((m) => `/v1/models/${encodeURIComponent(m)}`)), auth: openaiAuth }),
      fc.record({ method: fc.constantFrom<'GET' | 'POST'>('GET', 'POST'), path: fc.constantFrom('/v1/', '/v1/chat/completions/x', '/v1/messages/count_tokens', '/v1/unknown'), auth: openaiAuth }),
      fc.record({
        method: fc.constant<'POST'>('POST'),
        path: fc.constant('/otlp/v1/traces'),
        body: fc.oneof({ arbitrary: spansBody(pools), weight: 4 }, { arbitrary: junk, weight: 1 }, { arbitrary: fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b).toString('latin1')), weight: 1 }),
        auth: fc.constantFrom<SdkOp['auth']>('otlp', 'otlp', 'otlp', 'bearer', 'none'),
        contentType: fc.constantFrom('application/json', 'application/x-protobuf', 'text/plain'),
      }),
    );
  });
}

/** An OTLP/JSON export whose spans carry gateway attributes, some of them hostile. */
function spansBody(pools: Pools): fc.Arbitrary<string> {
  const value = fc.oneof(
    fc.string({ maxLength: 20 }).map((v) => ({ stringValue: v })),
    hostileString.map((v) => ({ stringValue: v })),
    fc.integer().map((v) => ({ intValue: String(v) })),
    hostileValue.map((v) => ({ kvlistValue: v })),
  );
  const attribute = fc.record({ key: fc.constantFrom('gen_ai.request.model', 'cf.aig.event_id', 'cf.aig.log_id', 'gen_ai.usage.input_tokens', 'gen_ai.usage.output_tokens', 'cf.aig.cost', 'x'), value });
  const span = fc.record({
    traceId: fc.constantFrom('0af7651916cd43dd8448eb211c80319c', 'zz', ''),
    spanId: fc.constantFrom('b7ad6b7169203331', 'nothex!'),
    name: fc.constantFrom('ai_gateway.request', 'other', ''),
    startTimeUnixNano: fc.oneof(fc.constant(String(Date.now() * 1e6)), hostileValue),
    endTimeUnixNano: fc.oneof(fc.constant(String(Date.now() * 1e6)), hostileValue),
    attributes: fc.array(attribute, { maxLength: 8 }),
  });
  const ids = fc.constantFrom(...pools.ids);
  return fc
    .tuple(fc.array(span, { maxLength: 4 }), ids)
    .map(([spans, id]) => JSON.stringify({ resourceSpans: [{ resource: { attributes: [{ key: 'cf.aig.event_id', value: { stringValue: id } }] }, scopeSpans: [{ spans }] }] }));
}

/** Sends one operation; the answer names the status, the error messages and the whole text. */
export async function sendSdk(url: string, key: string, op: SdkOp, otlpToken: string): Promise<Answer> {
  const headers: Record<string, string> = { ...(op.contentType && { 'content-type': op.contentType }), ...(op.idempotencyKey !== undefined && { 'idempotency-key': op.idempotencyKey }) };
  if (op.auth === 'bearer') headers.authorization = `Bearer ${key}`;
  if (op.auth === 'otlp') headers.authorization = `Bearer ${otlpToken}`;
  if (op.auth === 'x-api-key') {
    headers['x-api-key'] = key;
    headers['anthropic-version'] = '2023-06-01';
  }
  try {
    const res = await fetch(`${url}${op.path}`, { method: op.method, headers, ...(op.method === 'POST' && { body: op.body ?? '' }), signal: AbortSignal.timeout(60_000) });
    const text = await res.text();
    const messages: string[] = [];
    for (const m of text.matchAll(/"message":"((?:[^"\\]|\\.)*)"/g)) messages.push(m[1]!);
    return { codes: [], status: res.status, messages, text };
  } catch (error) {
    return { codes: ['FETCH_FAILED'], messages: [String(error)], text: String(error) };
  }
}
