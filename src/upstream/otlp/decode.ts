// OTLP/HTTP trace export bodies (ExportTraceServiceRequest) as AI Gateway's OpenTelemetry export
// sends them: protobuf (application/x-protobuf), decoded by protobufjs with the official
// OpenTelemetry .proto files (opentelemetry-proto v1.11, vendored in ./proto with their licence),
// or OTLP/JSON (application/json: the proto3 JSON mapping with hex trace and span ids). Both end in
// the same object form, checked by one schema, and then in one span record per span with the
// attributes the gateway documents (gen_ai.*; reference: cloudflare-2026-changes.md, OTEL).
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import protobuf from 'protobufjs';
import { z } from 'zod';

/** One span of the export, as reconciliation needs it. */
export interface ExportedSpan {
  /** 32 lowercase hex digits. */
  traceId: string;
  /** 16 lowercase hex digits. */
  spanId: string;
  /** The span's end (else start) time. */
  at: Date;
  model: string | null;
  provider: string | null;
  tokensIn: number | null;
  tokensOut: number | null;
  /** gen_ai.usage.cost, USD, as a decimal string. */
  costUsd: string | null;
  /** false when the span's status is ERROR. */
  success: boolean | null;
  statusCode: number | null;
  /** The cf-aig-metadata keys the gateway copies onto the span (gen_ai.* excluded), as JSON. */
  metadata: string | null;
}

export class OtlpDecodeError extends Error {
  override readonly name = 'OtlpDecodeError';
}

const PROTO_DIR = fileURLToPath(new URL('./proto/', import.meta.url));
const REQUEST_TYPE = 'opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest';

let requestType: protobuf.Type | undefined;
/** The ExportTraceServiceRequest message type, loaded once from the official .proto files. */
function exportRequestType(): protobuf.Type {
  if (requestType) return requestType;
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => join(PROTO_DIR, target);
  root.loadSync('opentelemetry/proto/collector/trace/v1/trace_service.proto');
  requestType = root.lookupType(REQUEST_TYPE);
  return requestType;
}

const anyValue = z
  .object({
    stringValue: z.string().optional(),
    boolValue: z.boolean().optional(),
    intValue: z.union([z.string(), z.number()]).optional(),
    doubleValue: z.union([z.number(), z.string()]).optional(),
  })
  .passthrough();

const hex = (digits: number) => z.string().regex(new RegExp(`^[0-9a-fA-F]{${digits}}$`), `must be ${digits} hex digits`).transform((s) => s.toLowerCase());
const nanos = z.union([z.string().regex(/^\d{1,20}$/), z.number().int().nonnegative()]).optional();

const spanSchema = z.object({
  traceId: hex(32),
  spanId: hex(16),
  name: z.string().optional(),
  startTimeUnixNano: nanos,
  endTimeUnixNano: nanos,
  attributes: z.array(z.object({ key: z.string(), value: anyValue.optional() })).max(1_000).optional(),
  status: z.object({ code: z.union([z.number(), z.string()]).optional(), message: z.string().optional() }).optional(),
});

const requestSchema = z.object({
  resourceSpans: z
    .array(z.object({ scopeSpans: z.array(z.object({ spans: z.array(spanSchema).optional() })).optional() }))
    .optional(),
});

type SpanObject = z.infer<typeof spanSchema>;
type AttributeValue = z.infer<typeof anyValue>;

const scalar = (v: AttributeValue | undefined): string | number | boolean | undefined => {
  if (!v) return undefined;
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return Number(v.doubleValue);
  return undefined;
};

const int = (v: string | number | boolean | undefined): number | null =>
  typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : typeof v === 'string' && /^\d{1,15}$/.test(v) ? Number(v) : null;

/** A cost attribute as a plain decimal string (OTLP carries it as a double). */
function decimal(v: string | number | boolean | undefined): string | null {
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return v.toFixed(10).replace(/\.?0+$/, '') || '0';
  if (typeof v === 'string' && /^\d{1,10}(\.\d{1,10})?$/.test(v)) return v;
  return null;
}

function toSpan(s: SpanObject): ExportedSpan {
  const attrs = new Map<string, string | number | boolean>();
  for (const a of s.attributes ?? []) {
    const v = scalar(a.value);
    if (v !== undefined) attrs.set(a.key, v);
  }
  const str = (key: string): string | null => {
    const v = attrs.get(key);
    return typeof v === 'string' && v.length > 0 ? v.slice(0, 256) : null;
  };
  const end = s.endTimeUnixNano ?? s.startTimeUnixNano;
  const ms = end === undefined ? Number.NaN : Number(BigInt(end) / 1_000_000n);
  const metadata: Record<string, string | number | boolean> = {};
  for (const [key, value] of attrs) if (!key.startsWith('gen_ai.') && !key.startsWith('http.') && Object.keys(metadata).length < 5) metadata[key] = value;
  const statusCode = Number(s.status?.code ?? 0);
  return {
    traceId: s.traceId,
    spanId: s.spanId,
    at: Number.isFinite(ms) && ms > 0 ? new Date(ms) : new Date(),
    // The served model when the span names it, else the requested one.
    model: str('gen_ai.response.model') ?? str('gen_ai.request.model'),
    provider: str('gen_ai.model.provider') ?? str('gen_ai.provider.name') ?? str('gen_ai.system'),
    tokensIn: int(attrs.get('gen_ai.usage.input_tokens')),
    tokensOut: int(attrs.get('gen_ai.usage.output_tokens')),
    costUsd: decimal(attrs.get('gen_ai.usage.cost')),
    success: statusCode === 2 || s.status?.code === 'STATUS_CODE_ERROR' ? false : true,
    statusCode: int(attrs.get('http.response.status_code')),
    metadata: Object.keys(metadata).length > 0 ? JSON.stringify(metadata) : null,
  };
}

function spansOf(value: unknown): ExportedSpan[] {
  const parsed = requestSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new OtlpDecodeError(`not an ExportTraceServiceRequest${issue ? ` (${issue.path.join('.')}: ${issue.message})` : ''}`);
  }
  return (parsed.data.resourceSpans ?? []).flatMap((r) => (r.scopeSpans ?? []).flatMap((s) => (s.spans ?? []).map(toSpan)));
}

/** An OTLP/JSON body. */
export function decodeJsonTraces(body: Buffer): ExportedSpan[] {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    throw new OtlpDecodeError('the body is not JSON');
  }
  return spansOf(value);
}

/** An OTLP/protobuf body. */
export function decodeProtobufTraces(body: Buffer): ExportedSpan[] {
  const type = exportRequestType();
  let message: protobuf.Message;
  try {
    message = type.decode(body);
  } catch (error) {
    throw new OtlpDecodeError(`the body is not an ExportTraceServiceRequest (${error instanceof Error ? error.message.slice(0, 100) : 'undecodable'})`);
  }
  // The object form of the JSON mapping, with the ids as hex (protobuf carries them as bytes).
  const object = type.toObject(message, { longs: String, enums: Number, bytes: String, defaults: false });
  return spansOf(JSON.parse(JSON.stringify(object), (key: string, v: unknown) => ((key === 'traceId' || key === 'spanId' || key === 'parentSpanId') && typeof v === 'string' ? Buffer.from(v, 'base64').toString('hex') : v)));
}

/** A body by its content type: protobuf for application/x-protobuf, else JSON. */
export function decodeTraces(body: Buffer, contentType: string | undefined): ExportedSpan[] {
  return /protobuf/i.test(contentType ?? '') ? decodeProtobufTraces(body) : decodeJsonTraces(body);
}
