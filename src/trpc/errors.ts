// The one mapping of errors to tRPC: every error gets `data.appCode` (the contract code) beside
// tRPC's own code, which is set to match. Internal details never leave the process.
import { TRPCError } from '@trpc/server';
import type { TRPC_ERROR_CODE_KEY } from '@trpc/server/rpc';
import { z } from 'zod';
import { badInputFromZod } from '../domain/validation.ts';
import { AppError, HTTP_STATUS, retryAfterHeader, toAppError, type ErrorCode } from '../platform/errors.ts';

const TRPC_CODE: Record<ErrorCode, TRPC_ERROR_CODE_KEY> = {
  UNAUTHENTICATED: 'UNAUTHORIZED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  BAD_INPUT: 'BAD_REQUEST',
  RATE_LIMITED: 'TOO_MANY_REQUESTS',
  BUDGET_EXCEEDED: 'PAYMENT_REQUIRED',
  IDEMPOTENCY_CONFLICT: 'CONFLICT',
  UPSTREAM_ERROR: 'BAD_GATEWAY',
  UPSTREAM_TIMEOUT: 'GATEWAY_TIMEOUT',
  GUARDRAIL_BLOCKED: 'UNPROCESSABLE_CONTENT',
  INTERNAL: 'INTERNAL_SERVER_ERROR',
  UNAVAILABLE: 'SERVICE_UNAVAILABLE',
};

const JSONRPC_CODE: Partial<Record<TRPC_ERROR_CODE_KEY, number>> = {
  UNAUTHORIZED: -32001,
  PAYMENT_REQUIRED: -32002,
  FORBIDDEN: -32003,
  NOT_FOUND: -32004,
  BAD_REQUEST: -32600,
  CONFLICT: -32009,
  UNPROCESSABLE_CONTENT: -32022,
  TOO_MANY_REQUESTS: -32029,
  BAD_GATEWAY: -32603,
  GATEWAY_TIMEOUT: -32603,
  INTERNAL_SERVER_ERROR: -32603,
  SERVICE_UNAVAILABLE: -32603,
};

/** What a tRPC error means in contract terms. */
export function appErrorOf(error: TRPCError): AppError {
  const cause = error.cause;
  if (cause instanceof AppError) return cause;
  if (cause instanceof z.ZodError) return badInputFromZod(cause);
  switch (error.code) {
    case 'NOT_FOUND':
      return new AppError('NOT_FOUND', 'No such procedure', {}, { cause: error });
    case 'PARSE_ERROR':
    case 'BAD_REQUEST':
    case 'PAYLOAD_TOO_LARGE':
    case 'METHOD_NOT_SUPPORTED':
    case 'UNSUPPORTED_MEDIA_TYPE':
      return new AppError('BAD_INPUT', error.message, {}, { cause: error });
    case 'UNAUTHORIZED':
      return new AppError('UNAUTHENTICATED', 'A valid API key is required (Authorization: Bearer <key>)');
    case 'FORBIDDEN':
      return new AppError('FORBIDDEN', error.message);
    case 'CLIENT_CLOSED_REQUEST':
      return new AppError('BAD_INPUT', 'The client closed the request');
    default:
      // A lost or unobtainable database connection is UNAVAILABLE, anything else INTERNAL.
      return toAppError(cause ?? error);
  }
}

/** UNAVAILABLE / RATE_LIMITED on tRPC HTTP: a Retry-After header beside data.retryAfterMs. */
export function setRetryAfter(res: { headersSent: boolean; setHeader(name: string, value: string): unknown } | undefined, app: AppError): void {
  const retryAfter = retryAfterHeader(app);
  if (res && retryAfter && !res.headersSent) res.setHeader('retry-after', retryAfter);
}

interface Shape {
  message: string;
  code: number;
  data: Record<string, unknown>;
}

/**
 * httpSubscriptionLink reconnects, and so replays the whole subscription, on these JSON-RPC
 * codes. A generation is not resumable and each replay is a new billed upstream call, so a
 * subscription's terminal error carries a non-retryable code instead (data keeps the real ones).
 */
const RETRYABLE_RPC_CODES = new Set([-32603]);
const NON_RETRYABLE_STREAM_CODE = -32022;

/** tRPC errorFormatter: contract code in data.appCode, tRPC code and HTTP status to match. */
export function formatTRPCError<S extends Shape>(shape: S, error: TRPCError, type: string, onInternal: (e: AppError) => void, onRetryable?: (e: AppError) => void): S {
  const app = appErrorOf(error);
  if (app.code === 'INTERNAL') onInternal(app);
  if (app.details.retryAfterMs !== undefined) onRetryable?.(app);
  const trpcCode = TRPC_CODE[app.code];
  const { stack: _stack, ...data } = shape.data;
  const code = JSONRPC_CODE[trpcCode] ?? shape.code;
  return {
    ...shape,
    message: app.message,
    code: type === 'subscription' && RETRYABLE_RPC_CODES.has(code) ? NON_RETRYABLE_STREAM_CODE : code,
    data: { ...data, code: trpcCode, httpStatus: HTTP_STATUS[app.code], appCode: app.code, ...app.details },
  };
}

export { TRPCError };
