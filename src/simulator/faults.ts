// Faults the simulator can inject: from tests (injectFault) or from the prompt itself, so a test
// going through the whole Switchboard server can trigger them: a last user message containing
// [[fault:<name>]] or [[fault:<name>:<arg>]].

export type Fault =
  /** 429 + retry-after (seconds, default 30), AiGatewayError 2003. */
  | { type: 'rate_limit'; retryAfterSeconds?: number }
  /** 429 gateway spend-limit rule exceeded, AiGatewayError 2045, no retry-after. */
  | { type: 'spend_limit' }
  /** 401 AiGatewayError 2009: the provider rejected the provider key (BYOK). */
  | { type: 'provider_key' }
  /** 400: the gateway is byok_only (or cf-aig-no-wholesale) and no provider key applies. */
  | { type: 'byok_only' }
  /** 5xx with a v4 envelope (default 500). */
  | { type: 'server_error'; status?: 500 | 502 | 503 | 504 }
  /** Guardrail block: prompt -> 424/2016, response -> 424/2017; on /ai/run always 422/2017. */
  | { type: 'guardrail'; stage?: 'prompt' | 'response' }
  /** Delay before the status line (default 1000 ms). */
  | { type: 'slow_first_byte'; ms?: number }
  /** Delay before every stream frame (default 200 ms). */
  | { type: 'slow_stream'; ms?: number }
  /** After the Nth text delta (default 1): destroy the socket, or with clean: end the body; no terminal event either way. */
  | { type: 'cut_stream'; afterChunks?: number; clean?: boolean }
  /** After the Nth text delta (default 1): the endpoint's own error frame, then the body ends. */
  | { type: 'error_frame'; afterChunks?: number }
  /** After the Nth text delta (default 1): a frame whose data is not JSON, then the rest of the stream. */
  | { type: 'malformed_chunk'; afterChunks?: number }
  /** A provider error passed through (default: the endpoint's provider shape, status 400). */
  | { type: 'provider_error'; shape?: 'openai' | 'anthropic'; status?: number }
  /** A Workers AI error in a v4 envelope (default 3040, "Capacity temporarily exceeded", 429). */
  | { type: 'workers_ai_error'; code?: number }
  /** 401, v4 envelope code 10000. */
  | { type: 'unauthorized' };

export type FaultType = Fault['type'];

export const FAULT_TYPES: readonly FaultType[] = [
  'rate_limit',
  'spend_limit',
  'provider_key',
  'byok_only',
  'server_error',
  'guardrail',
  'slow_first_byte',
  'slow_stream',
  'cut_stream',
  'error_frame',
  'malformed_chunk',
  'provider_error',
  'workers_ai_error',
  'unauthorized',
];

const DIRECTIVE = /\[\[fault:([a-z_]+)(?::([A-Za-z0-9_.-]+))?\]\]/;

/** The fault named by a [[fault:name(:arg)]] directive in the text, with its defaults. */
export function faultFromDirective(text: string): Fault | undefined {
  const match = DIRECTIVE.exec(text);
  if (!match) return undefined;
  const name = match[1] as FaultType;
  const arg = match[2];
  const n = arg !== undefined && /^\d+(\.\d+)?$/.test(arg) ? Number(arg) : undefined;
  switch (name) {
    case 'rate_limit':
      return { type: name, retryAfterSeconds: n };
    case 'server_error':
      return { type: name, status: n === 502 || n === 503 || n === 504 ? n : 500 };
    case 'guardrail':
      return { type: name, stage: arg === 'response' ? 'response' : 'prompt' };
    case 'slow_first_byte':
    case 'slow_stream':
      return { type: name, ms: n };
    case 'cut_stream':
      return { type: name, afterChunks: n, clean: arg === 'clean' };
    case 'error_frame':
    case 'malformed_chunk':
      return { type: name, afterChunks: n };
    case 'provider_error':
      return { type: name, shape: arg === 'openai' || arg === 'anthropic' ? arg : undefined, status: n };
    case 'workers_ai_error':
      return { type: name, code: n };
    case 'spend_limit':
    case 'provider_key':
    case 'byok_only':
    case 'unauthorized':
      return { type: name };
    default:
      return undefined;
  }
}

export interface FaultRule<R> {
  fault: Fault;
  remaining: number;
  match?: (request: R) => boolean;
}

/** Injected faults, first match wins; each applies `times` times (default: until cleared). */
export class FaultQueue<R> {
  #rules: Array<FaultRule<R>> = [];

  add(fault: Fault, opts: { times?: number; match?: (request: R) => boolean } = {}): void {
    this.#rules.push({ fault, remaining: opts.times ?? Number.POSITIVE_INFINITY, match: opts.match });
  }

  take(request: R): Fault | undefined {
    const rule = this.#rules.find((r) => r.remaining > 0 && (!r.match || r.match(request)));
    if (!rule) return undefined;
    rule.remaining -= 1;
    return rule.fault;
  }

  clear(): void {
    this.#rules = [];
  }
}
