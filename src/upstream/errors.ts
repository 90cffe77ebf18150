// One typed error for everything that goes wrong upstream: HTTP error bodies of every shape
// (v4 envelope, AiGatewayError, OpenAI, Anthropic, Workers AI), mid-stream error frames,
// network errors and timeouts. Messages are safe to show: no token, no URL, no account id.
import { errors as undiciErrors } from 'undici';
import { AppError, type ErrorCode } from '../platform/errors.ts';

export type UpstreamErrorCode = Extract<
  ErrorCode,
  'RATE_LIMITED' | 'BUDGET_EXCEEDED' | 'GUARDRAIL_BLOCKED' | 'UPSTREAM_TIMEOUT' | 'UPSTREAM_ERROR'
>;

export interface UpstreamErrorInit {
  code: UpstreamErrorCode;
  message: string;
  status?: number;
  upstreamCode?: string | number;
  retryable: boolean;
  retryAfterMs?: number;
  cause?: unknown;
}

export class UpstreamError extends AppError {
  override readonly code: UpstreamErrorCode;
  readonly status?: number;
  readonly upstreamCode?: string | number;
  readonly retryable: boolean;
  readonly retryAfterMs?: number;

  constructor(init: UpstreamErrorInit) {
    const details: Record<string, string | number | boolean> = {};
    if (init.code === 'BUDGET_EXCEEDED') details.upstream = true;
    if (init.status !== undefined) details.upstreamStatus = init.status;
    if (init.upstreamCode !== undefined) details.upstreamCode = init.upstreamCode;
    if (init.retryAfterMs !== undefined) details.retryAfterMs = init.retryAfterMs;
    super(init.code, init.message, details, { cause: init.cause });
    this.code = init.code;
    this.status = init.status;
    this.upstreamCode = init.upstreamCode;
    this.retryable = init.retryable;
    this.retryAfterMs = init.retryAfterMs;
  }
}

const RETRYABLE_STATUSES = new Set([429, 502, 503, 504]);
const GUARDRAIL_CODES = new Set([2016, 2017, 2029, 2030]);
const TIMEOUT_CODES = new Set([3007]);
/** Workers AI codes that mean "too busy / out of allocation" even when no 429 status is known. */
const RATE_CODES = new Set([2003, 2018, 3036, 3040]);
/** The gateway's spend-limit rule (429): a budget, never retried. */
const SPEND_LIMIT_CODE = 2045;
/** The provider rejected the provider key (401 on /ai/run and the provider endpoints). */
const PROVIDER_KEY_CODE = 2009;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

interface ErrorFacts {
  upstreamCode?: string | number;
  message?: string;
  /** A Policies 429 body: {error: {message, bucket, spent, limit}}. */
  bucket?: boolean;
}

/** Reads code and message from any of the known error body and frame shapes. */
export function readErrorFacts(body: unknown): ErrorFacts {
  if (!isRecord(body)) return {};
  const fromEntry = (entry: unknown): ErrorFacts | undefined => {
    if (!isRecord(entry)) return undefined;
    const code = entry.code ?? entry.internalCode ?? entry.type;
    return {
      upstreamCode: typeof code === 'string' || typeof code === 'number' ? code : undefined,
      message: typeof entry.message === 'string' ? entry.message : undefined,
    };
  };
  // v4 envelope `errors: [...]` and AiGatewayError `error: [...]`
  for (const key of ['errors', 'error'] as const) {
    const list = body[key];
    if (Array.isArray(list) && list.length > 0) {
      const facts = fromEntry(list[0]);
      if (facts) {
        const internal = body.internalCode;
        const upstreamCode = typeof internal === 'number' || typeof internal === 'string' ? internal : facts.upstreamCode;
        return { upstreamCode, message: facts.message ?? (typeof body.message === 'string' ? body.message : undefined) };
      }
    }
  }
  // OpenAI {error:{message,type,code}} and Anthropic {type:'error', error:{type,message}}
  if (isRecord(body.error)) {
    const e = body.error;
    const code = e.code ?? e.type;
    return {
      upstreamCode: typeof code === 'string' || typeof code === 'number' ? code : undefined,
      message: typeof e.message === 'string' ? e.message : undefined,
      ...(typeof e.bucket === 'string' && { bucket: true }),
    };
  }
  // Responses `response.failed` carries response.error
  if (isRecord(body.response) && isRecord(body.response.error)) return readErrorFacts({ error: body.response.error });
  // AiGatewayError short form, AiError, Responses `error` event {type:'error', code, message}
  const code = body.internalCode ?? body.code;
  return {
    upstreamCode: typeof code === 'string' || typeof code === 'number' ? code : undefined,
    message: typeof body.message === 'string' ? body.message : typeof body.error === 'string' ? body.error : undefined,
  };
}

/** Strips anything that could leak the account or the token from an upstream message. */
export function safeMessage(message: string | undefined, secrets: readonly string[] = []): string | undefined {
  if (!message) return undefined;
  let m = message.replace(/https?:\/\/\S+/g, '<url>').replace(/\/accounts\/[^\s/]+/g, '/accounts/<account>');
  for (const s of secrets) if (s) m = m.split(s).join('<redacted>');
  m = m.replace(/Bearer\s+\S+/gi, 'Bearer <redacted>');
  return m.length > 300 ? `${m.slice(0, 297)}...` : m;
}

function classify(status: number | undefined, upstreamCode: string | number | undefined, facts: ErrorFacts = {}): UpstreamErrorCode {
  const numeric = typeof upstreamCode === 'number' ? upstreamCode : Number(upstreamCode);
  // A gateway spend limit (2045) or a Policies budget (429 with a bucket) is a budget, not a rate.
  if (numeric === SPEND_LIMIT_CODE || (status === 429 && facts.bucket)) return 'BUDGET_EXCEEDED';
  if (status === 429 || upstreamCode === 'rate_limit_error' || (status === undefined && RATE_CODES.has(numeric))) {
    return 'RATE_LIMITED';
  }
  if (GUARDRAIL_CODES.has(numeric) && (status === undefined || status === 422 || status === 424 || status === 400 || status === 403)) {
    return 'GUARDRAIL_BLOCKED';
  }
  if (status === 408 || status === 504 || TIMEOUT_CODES.has(numeric) || upstreamCode === 'timeout_error') {
    return 'UPSTREAM_TIMEOUT';
  }
  return 'UPSTREAM_ERROR';
}

const LABEL: Record<UpstreamErrorCode, string> = {
  RATE_LIMITED: 'Upstream rate limit reached',
  BUDGET_EXCEEDED: "The gateway's spend limit is reached",
  GUARDRAIL_BLOCKED: 'Blocked by the gateway guardrails',
  UPSTREAM_TIMEOUT: 'Upstream timed out',
  UPSTREAM_ERROR: 'Upstream error',
};

/** What a known upstream condition is called, for the message (the reference's error table). */
function knownCondition(status: number | undefined, facts: ErrorFacts): string | undefined {
  const numeric = typeof facts.upstreamCode === 'number' ? facts.upstreamCode : Number(facts.upstreamCode);
  if (numeric === PROVIDER_KEY_CODE) return 'The provider rejected the provider key (BYOK credential)';
  if (status === 400 && /byok_only|no[-_]wholesale|provider credential/i.test(`${facts.upstreamCode ?? ''} ${facts.message ?? ''}`)) {
    return 'No provider key for this call and the gateway requires one (byok_only / cf-aig-no-wholesale)';
  }
  if (status === 402 && numeric === 2021) return 'No Unified Billing credits left on the gateway';
  return undefined;
}

function describe(code: UpstreamErrorCode, status: number | undefined, facts: ErrorFacts, secrets: readonly string[]): string {
  const tag = [status, facts.upstreamCode].filter((x) => x !== undefined).join('/');
  const detail = safeMessage(facts.message, secrets);
  const label = knownCondition(status, facts) ?? LABEL[code];
  return `${label}${tag ? ` (${tag})` : ''}${detail ? `: ${detail}` : ''}`;
}

/** Parses a Retry-After header: delta seconds or an HTTP date. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined || v.trim() === '') return undefined;
  const seconds = Number(v);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.round(seconds * 1000);
  const date = Date.parse(v);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** An HTTP error response (status >= 400) as an UpstreamError. */
export function errorFromResponse(
  status: number,
  bodyText: string,
  retryAfterHeader: string | string[] | undefined,
  secrets: readonly string[] = [],
): UpstreamError {
  let body: unknown;
  try {
    body = JSON.parse(bodyText);
  } catch {
    body = undefined;
  }
  const facts = readErrorFacts(body);
  const code = classify(status, facts.upstreamCode, facts);
  const retryAfterMs = parseRetryAfter(retryAfterHeader);
  return new UpstreamError({
    code,
    message: describe(code, status, facts, secrets),
    status,
    upstreamCode: facts.upstreamCode,
    // A spend limit is not lifted by waiting a moment: exactly one attempt.
    retryable: code !== 'BUDGET_EXCEEDED' && RETRYABLE_STATUSES.has(status),
    retryAfterMs,
  });
}

/** An error frame inside a stream (any format) as an UpstreamError. Never retried: bytes reached the caller. */
export function errorFromFrame(frame: unknown, secrets: readonly string[] = []): UpstreamError {
  const facts = readErrorFacts(frame);
  const code = classify(undefined, facts.upstreamCode);
  return new UpstreamError({
    code,
    message: describe(code, undefined, facts, secrets),
    upstreamCode: facts.upstreamCode,
    retryable: false,
  });
}

/** A protocol problem (malformed body or chunk, stream without its terminal event). */
export function protocolError(message: string, cause?: unknown): UpstreamError {
  return new UpstreamError({ code: 'UPSTREAM_ERROR', message: `Upstream protocol error: ${message}`, retryable: false, cause });
}

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);

/** A thrown network/undici error as an UpstreamError. `beforeResponse`: no status line was received yet. */
export function errorFromNetwork(error: unknown, beforeResponse: boolean): UpstreamError {
  if (error instanceof UpstreamError) return error;
  if (error instanceof undiciErrors.ConnectTimeoutError) {
    return new UpstreamError({ code: 'UPSTREAM_TIMEOUT', message: 'Upstream connection timed out', retryable: true, cause: error });
  }
  if (error instanceof undiciErrors.HeadersTimeoutError || error instanceof undiciErrors.BodyTimeoutError) {
    return new UpstreamError({ code: 'UPSTREAM_TIMEOUT', message: 'Upstream timed out', retryable: false, cause: error });
  }
  const code = isRecord(error) && typeof error.code === 'string' ? error.code : undefined;
  const connection = beforeResponse && code !== undefined && CONNECTION_CODES.has(code);
  return new UpstreamError({
    code: 'UPSTREAM_ERROR',
    message: beforeResponse ? 'Could not reach the upstream' : 'Upstream connection lost',
    upstreamCode: code,
    retryable: connection,
    cause: error,
  });
}

/** The error an aborted call ends with: the signal's own reason when it is an AbortError, else a new one. */
export function abortError(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason;
  if (reason instanceof Error && reason.name === 'AbortError') return reason;
  if (reason instanceof Error && reason.name === 'TimeoutError') {
    return new UpstreamError({ code: 'UPSTREAM_TIMEOUT', message: 'Upstream call timed out', retryable: false, cause: reason });
  }
  const error = new DOMException('The upstream call was aborted', 'AbortError');
  if (reason !== undefined) Object.defineProperty(error, 'cause', { value: reason });
  return error;
}
