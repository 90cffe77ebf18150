// The error bodies the real API sends (reference §6): v4 envelope, AiGatewayError, provider
// pass-through (OpenAI, Anthropic) and Workers AI codes.
import type { Fault } from './faults.ts';
import type { Json } from './formats/shared.ts';

export interface ErrorReply {
  status: number;
  body: Json;
  headers?: Record<string, string>;
}

export const v4Error = (status: number, code: number, message: string): ErrorReply => ({
  status,
  body: { success: false, errors: [{ code, message }], messages: [], result: null },
});

export const gatewayError = (status: number, code: number, message: string): ErrorReply => ({
  status,
  body: {
    success: false,
    result: [],
    messages: [],
    error: [{ code, message }],
    name: 'AiGatewayError',
    httpCode: status,
    internalCode: code,
    message,
    description: message,
  },
});

export const openAiError = (status: number, message: string, type = 'invalid_request_error', code: string | null = null): ErrorReply => ({
  status,
  body: { error: { message, type, param: null, code } },
});

const ANTHROPIC_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  529: 'overloaded_error',
};

export const anthropicError = (status: number, message: string): ErrorReply => ({
  status,
  body: { type: 'error', error: { type: ANTHROPIC_TYPES[status] ?? 'api_error', message } },
});

const WORKERS_AI: Record<number, { status: number; message: string }> = {
  3003: { status: 400, message: 'Bad input: incomplete request' },
  3006: { status: 413, message: 'Request is too large' },
  3007: { status: 408, message: 'Request timeout' },
  3036: { status: 429, message: 'You have used up your daily free allocation of 10,000 neurons.' },
  3040: { status: 429, message: 'Capacity temporarily exceeded, please try again.' },
  3042: { status: 404, message: 'Invalid model ID' },
  5004: { status: 400, message: 'Invalid data' },
  5007: { status: 400, message: 'No such model' },
};

export const workersAiError = (code: number): ErrorReply => {
  const known = WORKERS_AI[code] ?? { status: 500, message: 'Internal server error' };
  return v4Error(known.status, code, known.message);
};

export const unauthorized = (): ErrorReply => v4Error(401, 10000, 'Authentication error');
export const noRoute = (): ErrorReply => v4Error(404, 7003, 'No route for the URI');
export const methodNotAllowed = (method: string): ErrorReply => v4Error(405, 7001, `${method} not supported for requested URI.`);
export const unknownGateway = (): ErrorReply => gatewayError(404, 2001, 'Gateway not found');

/** The reply for a fault decided before any body byte; undefined for stream-shaping faults. */
export function faultReply(fault: Fault, endpoint: { isRun: boolean; providerShape: 'openai' | 'anthropic' | 'workers' }): ErrorReply | undefined {
  switch (fault.type) {
    case 'rate_limit': {
      const reply = gatewayError(429, 2003, 'Rate limited');
      return { ...reply, headers: { 'retry-after': String(fault.retryAfterSeconds ?? 30) } };
    }
    case 'spend_limit':
      return gatewayError(429, 2045, "Spend limit exceeded: rule 'per-user' (cost limit 0.002 per 3600s, fixed)");
    case 'provider_key':
      return gatewayError(401, 2009, 'Unauthorized');
    case 'byok_only':
      // The body is not documented: an AiGatewayError naming the setting.
      return gatewayError(400, 2024, 'byok_only: no provider credentials for this request and Unified Billing is not allowed');
    case 'server_error':
      return v4Error(fault.status ?? 500, 10001, 'Internal server error');
    case 'guardrail':
      if (endpoint.isRun) return gatewayError(422, 2017, 'Content blocked by guardrails');
      return fault.stage === 'response'
        ? gatewayError(424, 2017, 'Response blocked by guardrails')
        : gatewayError(424, 2016, 'Prompt blocked by guardrails');
    case 'provider_error': {
      const shape = fault.shape ?? (endpoint.providerShape === 'anthropic' ? 'anthropic' : 'openai');
      const status = fault.status ?? 400;
      return shape === 'anthropic'
        ? anthropicError(status, 'messages: roles must alternate between "user" and "assistant"')
        : openAiError(status, 'Invalid value for messages.', status >= 500 ? 'server_error' : 'invalid_request_error', 'invalid_value');
    }
    case 'workers_ai_error':
      return workersAiError(fault.code ?? 3040);
    case 'unauthorized':
      return unauthorized();
    default:
      return undefined;
  }
}
