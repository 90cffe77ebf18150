// AppError: the one error type that crosses layers. Its `code` is the public, stable contract
// code; `details` are safe to show; `cause` keeps the original for logs (never for clients).

export const ERROR_CODES = [
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'BAD_INPUT',
  'RATE_LIMITED',
  'BUDGET_EXCEEDED',
  'IDEMPOTENCY_CONFLICT',
  'UPSTREAM_ERROR',
  'UPSTREAM_TIMEOUT',
  'GUARDRAIL_BLOCKED',
  'INTERNAL',
  'UNAVAILABLE',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ErrorDetails {
  /** BAD_INPUT: the offending field, as a dotted path. */
  field?: string;
  /** RATE_LIMITED / UNAVAILABLE: when to try again. */
  retryAfterMs?: number;
  /** RATE_LIMITED / BUDGET_EXCEEDED: which limit ("tokensPerDay" for the user's own, "key:requestsPerMinute", "team:monthlyBudgetUsd", ...). */
  limit?: string;
  /** RATE_LIMITED / BUDGET_EXCEEDED: the level whose limit refused: key, user or team. */
  level?: string;
  /** UPSTREAM_*: the upstream HTTP status and error code. */
  upstreamStatus?: number;
  upstreamCode?: string | number;
  /** BUDGET_EXCEEDED: true when the gateway's own spend limit refused the call (not a Switchboard limit). */
  upstream?: boolean;
}

export class AppError extends Error {
  override readonly name = 'AppError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: ErrorDetails = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export const badInput = (field: string, message: string, cause?: unknown): AppError =>
  new AppError('BAD_INPUT', message, { field }, { cause });

export const notFound = (what: string): AppError => new AppError('NOT_FOUND', `${what} not found`);

/** When a caller refused with UNAVAILABLE is told to try again, unless the refusal knows better. */
export const UNAVAILABLE_RETRY_AFTER_MS = 1_000;

/** A dependency the call needs (the database, its pool) cannot take the call now: retryable. */
export const unavailable = (message: string, cause?: unknown, retryAfterMs = UNAVAILABLE_RETRY_AFTER_MS): AppError =>
  new AppError('UNAVAILABLE', message, { retryAfterMs }, { cause });

/** Errors of a dependency that mean "cannot take the call now" (db/errors.ts registers the database's). */
const unavailableKinds: Array<{ test: (error: unknown) => boolean; message: string }> = [];

/** A dependency's layer says which of its errors are UNAVAILABLE (retryable) rather than INTERNAL. */
export function registerUnavailable(test: (error: unknown) => boolean, message: string): void {
  unavailableKinds.push({ test, message });
}

/**
 * Any thrown value as an AppError: AppErrors pass through; an error a dependency registered as
 * unavailable (a lost, refused or unobtainable database connection, a pool wait timed out) is
 * UNAVAILABLE; everything else INTERNAL.
 */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  const kind = unavailableKinds.find((k) => k.test(error));
  if (kind) return unavailable(kind.message, error);
  return new AppError('INTERNAL', 'Internal error', {}, { cause: error });
}

/** The Retry-After header value (whole seconds, at least 1) for an error that carries retryAfterMs. */
export function retryAfterHeader(error: AppError): string | undefined {
  const ms = error.details.retryAfterMs;
  return ms === undefined ? undefined : String(Math.max(1, Math.ceil(ms / 1000)));
}

/** HTTP status that best matches a code, for adapters that need one. */
export const HTTP_STATUS: Record<ErrorCode, number> = {
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  BAD_INPUT: 400,
  RATE_LIMITED: 429,
  BUDGET_EXCEEDED: 402,
  IDEMPOTENCY_CONFLICT: 409,
  UPSTREAM_ERROR: 502,
  UPSTREAM_TIMEOUT: 504,
  GUARDRAIL_BLOCKED: 422,
  INTERNAL: 500,
  UNAVAILABLE: 503,
};
