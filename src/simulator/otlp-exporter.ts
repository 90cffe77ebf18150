// The gateway's OpenTelemetry export, simulated (reference: cloudflare-2026-changes.md, OTEL): for
// each request the simulator served that carried cf-aig-otel-trace-id, one span with the gen_ai.*
// attributes (model, provider, tokens, cost) plus the request's metadata keys, posted over
// OTLP/HTTP as JSON or protobuf (serialized by @opentelemetry/otlp-transformer) to the configured
// URL with the configured headers. Faults a test can inject: lag (spans leave late), loss (drop),
// altered figures, duplicates.
import { SpanKind, SpanStatusCode, type HrTime } from '@opentelemetry/api';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { randomBytes } from 'node:crypto';
import { request } from 'undici';

type ReadableSpan = Parameters<typeof JsonTraceSerializer.serializeRequest>[0][number];

export interface OtlpExportConfig {
  /** Where spans are posted, e.g. http://127.0.0.1:4000/otlp/v1/traces. */
  url: string;
  /** Sent with every export (e.g. authorization). */
  headers?: Record<string, string>;
  format?: 'json' | 'protobuf';
  /** Spans leave this long after their request was served (default 0). */
  lagMs?: number;
  /** Spans per export request (default 100). */
  batchSize?: number;
}

/** What the simulator knows of a request it served, for its span. */
export interface ServedRequestSpan {
  traceId: string;
  parentSpanId?: string;
  requestedModel: string;
  servedModel: string;
  provider: string;
  status: number;
  tokensIn: number | null;
  tokensOut: number | null;
  cost: number | null;
  metadata: Record<string, string | number | boolean> | null;
  startedAt: number;
  endedAt: number;
}

export type SpanFault =
  /** The span is never exported (loss). */
  | { type: 'drop' }
  /** The span's figures differ from what the request used. */
  | { type: 'alter'; tokensIn?: number; tokensOut?: number; cost?: number }
  /** The span is exported twice. */
  | { type: 'duplicate' };

const RESOURCE = resourceFromAttributes({ 'service.name': 'cloudflare-ai-gateway-simulator' });
const SCOPE = { name: 'ai-gateway' };

const hrTime = (ms: number): HrTime => [Math.floor(ms / 1000), Math.round((ms % 1000) * 1e6)];

function toReadableSpan(s: ServedRequestSpan, spanId: string): ReadableSpan {
  const attributes: Record<string, string | number | boolean> = {};
  // Metadata keys first, so the gen_ai.* attributes win (the gateway drops metadata keys starting gen_ai.).
  for (const [k, v] of Object.entries(s.metadata ?? {})) if (!k.startsWith('gen_ai.')) attributes[k] = v;
  attributes['gen_ai.request.model'] = s.requestedModel;
  attributes['gen_ai.response.model'] = s.servedModel;
  attributes['gen_ai.model.provider'] = s.provider;
  attributes['http.response.status_code'] = s.status;
  if (s.tokensIn !== null) attributes['gen_ai.usage.input_tokens'] = s.tokensIn;
  if (s.tokensOut !== null) attributes['gen_ai.usage.output_tokens'] = s.tokensOut;
  if (s.cost !== null) attributes['gen_ai.usage.cost'] = s.cost;
  const ok = s.status < 400;
  return {
    name: 'ai_gateway.request',
    kind: SpanKind.SERVER,
    spanContext: () => ({ traceId: s.traceId, spanId, traceFlags: 1 }),
    ...(s.parentSpanId && { parentSpanContext: { traceId: s.traceId, spanId: s.parentSpanId, traceFlags: 1, isRemote: true } }),
    startTime: hrTime(s.startedAt),
    endTime: hrTime(s.endedAt),
    status: ok ? { code: SpanStatusCode.OK } : { code: SpanStatusCode.ERROR, message: `HTTP ${s.status}` },
    attributes,
    links: [],
    events: [],
    duration: hrTime(s.endedAt - s.startedAt),
    ended: true,
    resource: RESOURCE,
    instrumentationScope: SCOPE,
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
  };
}

interface Queued {
  span: ReadableSpan;
  due: number;
}

export class OtlpExporter {
  #config: OtlpExportConfig | undefined;
  /** Injected faults, first match wins; each applies `remaining` times. */
  #faults: Array<{ fault: SpanFault; remaining: number; match?: (span: ServedRequestSpan) => boolean }> = [];
  #queue: Queued[] = [];
  #timer: NodeJS.Timeout | undefined;
  #inFlight = new Set<Promise<void>>();
  /** Trace ids whose span was dropped, altered or duplicated, in order. */
  readonly dropped: string[] = [];
  readonly altered: string[] = [];
  readonly duplicated: string[] = [];
  /** Spans posted (a duplicate counts twice), export requests answered 2xx, and the others' statuses. */
  posted = 0;
  exports = 0;
  readonly failures: number[] = [];

  /** Turns the export on (or off with undefined). */
  configure(config: OtlpExportConfig | undefined): void {
    this.#config = config;
  }

  get enabled(): boolean {
    return this.#config !== undefined;
  }

  injectFault(fault: SpanFault, opts?: { times?: number; match?: (span: ServedRequestSpan) => boolean }): void {
    this.#faults.push({ fault, remaining: opts?.times ?? Number.POSITIVE_INFINITY, match: opts?.match });
  }

  clear(): void {
    this.#faults = [];
    this.#queue = [];
    this.dropped.length = 0;
    this.altered.length = 0;
    this.duplicated.length = 0;
    this.posted = 0;
    this.exports = 0;
    this.failures.length = 0;
  }

  /** A request was served: its span, after the faults, leaves after the lag. */
  record(served: ServedRequestSpan): void {
    const config = this.#config;
    if (!config) return;
    const rule = this.#faults.find((r) => r.remaining > 0 && (!r.match || r.match(served)));
    if (rule) rule.remaining -= 1;
    const fault = rule?.fault;
    if (fault?.type === 'drop') {
      this.dropped.push(served.traceId);
      return;
    }
    let span = served;
    if (fault?.type === 'alter') {
      this.altered.push(served.traceId);
      // Without figures of its own, an alteration reports 7 more output tokens than were used.
      const bare = fault.tokensIn === undefined && fault.tokensOut === undefined && fault.cost === undefined;
      span = {
        ...served,
        tokensIn: fault.tokensIn ?? served.tokensIn,
        tokensOut: fault.tokensOut ?? (bare ? (served.tokensOut ?? 0) + 7 : served.tokensOut),
        cost: fault.cost ?? served.cost,
      };
    }
    const readable = toReadableSpan(span, randomBytes(8).toString('hex'));
    const due = Date.now() + (config.lagMs ?? 0);
    this.#queue.push({ span: readable, due });
    if (fault?.type === 'duplicate') {
      this.duplicated.push(served.traceId);
      // The same span again, in a later export.
      this.#queue.push({ span: readable, due: due + 20 });
    }
    this.#schedule();
  }

  #schedule(): void {
    if (this.#timer || this.#queue.length === 0) return;
    const wait = Math.max(0, Math.min(...this.#queue.map((q) => q.due)) - Date.now());
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#flushDue();
      this.#schedule();
    }, Math.max(wait, 5));
    this.#timer.unref();
  }

  #flushDue(): void {
    const config = this.#config;
    if (!config) {
      this.#queue = [];
      return;
    }
    const now = Date.now();
    const due = this.#queue.filter((q) => q.due <= now);
    this.#queue = this.#queue.filter((q) => q.due > now);
    const size = config.batchSize ?? 100;
    for (let i = 0; i < due.length; i += size) {
      // A duplicate never shares an export with its first copy.
      const batch: ReadableSpan[] = [];
      for (const q of due.slice(i, i + size)) {
        if (batch.includes(q.span)) this.#queue.push({ span: q.span, due: now + 20 });
        else batch.push(q.span);
      }
      const sending = this.#post(config, batch).finally(() => this.#inFlight.delete(sending));
      this.#inFlight.add(sending);
    }
  }

  async #post(config: OtlpExportConfig, spans: ReadableSpan[]): Promise<void> {
    const protobuf = config.format === 'protobuf';
    const body = (protobuf ? ProtobufTraceSerializer : JsonTraceSerializer).serializeRequest(spans);
    if (!body) return;
    try {
      const res = await request(config.url, {
        method: 'POST',
        headers: { 'content-type': protobuf ? 'application/x-protobuf' : 'application/json', ...config.headers },
        body: Buffer.from(body.buffer, body.byteOffset, body.byteLength),
      });
      await res.body.dump();
      if (res.statusCode >= 200 && res.statusCode < 300) {
        this.exports += 1;
        this.posted += spans.length;
      } else this.failures.push(res.statusCode);
    } catch {
      this.failures.push(0);
    }
  }

  /** Resolves once every span recorded so far has been posted (or failed). */
  async idle(): Promise<void> {
    for (;;) {
      if (this.#queue.length === 0 && this.#inFlight.size === 0) return;
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}
