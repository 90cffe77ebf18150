// Errors in each SDK's own envelope and status, so its typed errors and retry rules behave:
//   OpenAI    {"error": {"message", "type", "code", "param"}}
//   Anthropic {"type": "error", "error": {"type", "message"}}
// 401 bad key (AuthenticationError), 403 forbidden model (PermissionDeniedError), 400 bad input,
// 429 RATE_LIMITED with retry-after (RateLimitError), 402 BUDGET_EXCEEDED, 503 UNAVAILABLE, upstream
// errors with the upstream's status. Both SDKs retry 408/409/429/5xx unless `x-should-retry: false`:
// refusals a retry cannot fix (a budget, an idempotency conflict) say so.
import { AppError, HTTP_STATUS, type ErrorCode } from '../platform/errors.ts';
import type { Envelope, Json } from './route.ts';

const OPENAI_TYPE: Record<ErrorCode, string> = {
  UNAUTHENTICATED: 'authentication_error',
  FORBIDDEN: 'permission_error',
  NOT_FOUND: 'not_found_error',
  BAD_INPUT: 'invalid_request_error',
  RATE_LIMITED: 'rate_limit_error',
  BUDGET_EXCEEDED: 'insufficient_quota',
  IDEMPOTENCY_CONFLICT: 'conflict_error',
  UPSTREAM_ERROR: 'api_error',
  UPSTREAM_TIMEOUT: 'timeout_error',
  GUARDRAIL_BLOCKED: 'invalid_request_error',
  INTERNAL: 'server_error',
  UNAVAILABLE: 'service_unavailable_error',
};

const ANTHROPIC_TYPE: Record<ErrorCode, string> = {
  UNAUTHENTICATED: 'authentication_error',
  FORBIDDEN: 'permission_error',
  NOT_FOUND: 'not_found_error',
  BAD_INPUT: 'invalid_request_error',
  RATE_LIMITED: 'rate_limit_error',
  BUDGET_EXCEEDED: 'billing_error',
  IDEMPOTENCY_CONFLICT: 'invalid_request_error',
  UPSTREAM_ERROR: 'api_error',
  UPSTREAM_TIMEOUT: 'timeout_error',
  GUARDRAIL_BLOCKED: 'invalid_request_error',
  INTERNAL: 'api_error',
  UNAVAILABLE: 'overloaded_error',
};

/** Codes no retry can fix: the SDKs are told not to retry them. */
const FINAL: ReadonlySet<ErrorCode> = new Set(['BUDGET_EXCEEDED', 'IDEMPOTENCY_CONFLICT', 'UNAUTHENTICATED', 'FORBIDDEN', 'BAD_INPUT', 'NOT_FOUND', 'GUARDRAIL_BLOCKED']);

/** Upstream errors answered with the upstream's own status (a guardrail block: its 424 or 422). */
const UPSTREAM_STATUS: ReadonlySet<ErrorCode> = new Set(['UPSTREAM_ERROR', 'UPSTREAM_TIMEOUT', 'GUARDRAIL_BLOCKED']);

/** The status: the upstream's own for upstream errors that carry one, else the code's. */
export function statusOf(error: AppError): number {
  const upstream = error.details.upstreamStatus;
  if (UPSTREAM_STATUS.has(error.code) && typeof upstream === 'number' && upstream >= 400 && upstream <= 599) return upstream;
  return HTTP_STATUS[error.code];
}

/** The error body in the envelope's shape. */
export function errorBody(envelope: Envelope, error: AppError): Json {
  if (envelope === 'anthropic') return { type: 'error', error: { type: ANTHROPIC_TYPE[error.code], message: error.message } };
  return { error: { message: error.message, type: OPENAI_TYPE[error.code], code: error.code, param: error.details.field ?? null } };
}

/** Headers of an error answer: retry-after (seconds and ms) when known, x-should-retry, the contract code. */
export function errorHeaders(error: AppError): Record<string, string> {
  const headers: Record<string, string> = { 'x-switchboard-error-code': error.code };
  const after = error.details.retryAfterMs;
  if (typeof after === 'number' && Number.isFinite(after) && after >= 0) {
    headers['retry-after'] = String(Math.max(1, Math.ceil(after / 1000)));
    headers['retry-after-ms'] = String(Math.ceil(after));
  }
  if (FINAL.has(error.code)) headers['x-should-retry'] = 'false';
  return headers;
}
