// The simulator's AI Gateway logs (reference: cloudflare-ai-gateway-logs.md): one log per request
// a gateway served, with the event id it was sent; the list endpoint (v4 envelope, page/per_page,
// order_by, filters in qs "repeat" encoding) and the get endpoint; and the knobs a reconciliation
// test needs: lag (logs appear late), drop, alter, invent, and faults of the logs endpoints.
import { uuidv7 } from '../platform/ids.ts';
import { type ErrorReply, unauthorized, v4Error } from './error-bodies.ts';

export interface SimLog {
  id: string;
  created_at: string;
  provider: string;
  model: string;
  model_type: string;
  path: string;
  success: boolean;
  status_code: number;
  cached: boolean;
  duration: number;
  tokens_in: number | null;
  tokens_out: number | null;
  cost: number | null;
  metadata: string | null;
  /** The cf-aig-event-id the request carried ([I]: the live log's field name is not documented; filter key event_id is). */
  event_id: string | null;
  request_type: string;
}

/** A log as the list and get endpoints serve it (without event_id when reportEventId is off). */
type ServedLog = Omit<SimLog, 'event_id'> & { event_id?: string | null };

interface StoredLog {
  log: SimLog;
  gateway: string;
  at: number;
  size: { request: number; response: number };
}

export type LogsFault = 401 | 429 | 500 | 502 | 503 | 'malformed';

export interface LogsReply {
  status: number;
  /** A JSON value, or raw text (a malformed page). */
  body: unknown;
  raw?: string;
  headers?: Record<string, string>;
}

export const MAX_PER_PAGE = 50;
const ORDER_FIELDS = ['created_at', 'provider', 'model', 'model_type', 'success', 'cached'] as const;

interface Clause {
  key: string;
  operator: string;
  value: string[];
}

/** Filters as the official client sends them (qs, allowDots, arrayFormat: 'repeat'): positional repeats. */
export function parseFilterClauses(params: URLSearchParams): Clause[] {
  const clauses: Clause[] = [];
  for (const [name, value] of params) {
    if (name === 'filters.key') clauses.push({ key: value, operator: 'eq', value: [] });
    else if (name === 'filters.operator' && clauses.length > 0) clauses[clauses.length - 1]!.operator = value;
    else if (name === 'filters.value' && clauses.length > 0) clauses[clauses.length - 1]!.value.push(value);
  }
  // The older flat filters, still listed.
  const start = params.get('start_date');
  const end = params.get('end_date');
  if (start) clauses.push({ key: 'created_at', operator: 'gt', value: [start] });
  if (end) clauses.push({ key: 'created_at', operator: 'lt', value: [end] });
  return clauses;
}

function fieldOf(log: SimLog, key: string): unknown {
  if (key.startsWith('metadata.')) {
    let meta: Record<string, unknown> = {};
    try {
      meta = log.metadata ? (JSON.parse(log.metadata) as Record<string, unknown>) : {};
    } catch {
      /* not JSON: no entries */
    }
    return key === 'metadata.key' ? Object.keys(meta) : Object.values(meta).map(String);
  }
  return (log as unknown as Record<string, unknown>)[key];
}

function compare(a: unknown, b: string, key: string): number {
  if (key === 'created_at') return Date.parse(String(a)) - Date.parse(b);
  if (typeof a === 'number') return a - Number(b);
  if (typeof a === 'boolean') return Number(a) - Number(b === 'true');
  return String(a ?? '').localeCompare(b);
}

function matches(log: SimLog, c: Clause): boolean {
  const field = fieldOf(log, c.key);
  const values = Array.isArray(field) ? field : [field];
  return values.some((v) =>
    c.value.some((want) => {
      switch (c.operator) {
        case 'eq':
          return compare(v, want, c.key) === 0;
        case 'neq':
          return compare(v, want, c.key) !== 0;
        case 'contains':
          return String(v ?? '').includes(want);
        case 'gt':
          return compare(v, want, c.key) > 0;
        case 'lt':
          return compare(v, want, c.key) < 0;
        default:
          return false;
      }
    }),
  );
}

export class GatewayLogs {
  /** Per gateway, in created_at order (appended as served). */
  #byGateway = new Map<string, StoredLog[]>();
  #faults: Array<{ fault: LogsFault; remaining: number; skip: number }> = [];
  /** A log becomes visible this long after it was written (default 0). */
  lagMs = 0;
  /** Cloudflare's cost estimate for a request; default: none (cost null). */
  costOf: (model: string, tokensIn: number, tokensOut: number) => number | null = () => null;
  /** Stops recording while false (e.g. cf-aig-collect-log off for the whole account). */
  collect = true;
  /**
   * False: logs are served without `event_id`, as the documented Log type lists them (whether the
   * live API returns the field is [I]); the `event_id` filter still works. A reconciler must then
   * match a log to its row by the log id (cf-aig-log-id).
   */
  reportEventId = true;

  #list(gateway: string): StoredLog[] {
    let list = this.#byGateway.get(gateway);
    if (!list) this.#byGateway.set(gateway, (list = []));
    return list;
  }

  #insert(stored: StoredLog): void {
    const list = this.#list(stored.gateway);
    // Usually appended; a log with an earlier time (invented) goes to its place.
    let i = list.length;
    while (i > 0 && list[i - 1]!.at > stored.at) i--;
    list.splice(i, 0, stored);
  }

  /** Called by the simulator for each request a gateway served. */
  record(gateway: string, r: { eventId: string | null; logId?: string; model: string; provider: string; path: string; status: number; cached: boolean; durationMs: number; tokensIn: number | null; tokensOut: number | null; metadata: string | null; requestBytes: number; responseBytes: number; at?: number }): SimLog | undefined {
    if (!this.collect) return undefined;
    const at = r.at ?? Date.now();
    const success = r.status >= 200 && r.status < 300;
    const log: SimLog = {
      id: r.logId ?? uuidv7(),
      created_at: new Date(at).toISOString(),
      provider: r.provider,
      model: r.model,
      model_type: 'text-generation',
      path: r.path,
      success,
      status_code: r.status,
      cached: r.cached,
      duration: Math.max(0, Math.round(r.durationMs)),
      tokens_in: r.tokensIn,
      tokens_out: r.tokensOut,
      // A cache hit is not billed: cost 0.
      cost: success && r.tokensIn !== null && r.tokensOut !== null ? (r.cached ? 0 : this.costOf(r.model, r.tokensIn, r.tokensOut)) : null,
      metadata: r.metadata,
      event_id: r.eventId,
      request_type: 'chat',
    };
    this.#insert({ log, gateway, at, size: { request: r.requestBytes, response: r.responseBytes } });
    return log;
  }

  #find(pred: (l: SimLog) => boolean): StoredLog | undefined {
    for (const list of this.#byGateway.values()) for (const s of list) if (pred(s.log)) return s;
    return undefined;
  }

  /** Removes the log of an event (MISSING_UPSTREAM in a reconciliation); true when found. */
  drop(eventId: string): boolean {
    for (const list of this.#byGateway.values()) {
      const i = list.findIndex((s) => s.log.event_id === eventId);
      if (i >= 0) {
        list.splice(i, 1);
        return true;
      }
    }
    return false;
  }

  /** Changes fields of the log of an event (DRIFT); true when found. */
  alter(eventId: string, patch: Partial<Pick<SimLog, 'tokens_in' | 'tokens_out' | 'cost' | 'success' | 'status_code'>>): boolean {
    const found = this.#find((l) => l.event_id === eventId);
    if (found) Object.assign(found.log, patch);
    return found !== undefined;
  }

  /** Adds a log no request produced (MISSING_LOCAL). */
  invent(gateway: string, log: Partial<SimLog> & { created_at?: string } = {}): SimLog {
    const at = log.created_at ? Date.parse(log.created_at) : Date.now();
    const full: SimLog = {
      id: uuidv7(),
      provider: 'openai',
      model: 'gpt-5.5',
      model_type: 'text-generation',
      path: 'ai/v1/chat/completions',
      success: true,
      status_code: 200,
      cached: false,
      duration: 120,
      tokens_in: 11,
      tokens_out: 7,
      cost: null,
      metadata: null,
      event_id: uuidv7(),
      request_type: 'chat',
      ...log,
      created_at: new Date(at).toISOString(),
    };
    this.#insert({ log: full, gateway, at, size: { request: 0, response: 0 } });
    return full;
  }

  /** After `after` more requests to the logs endpoints succeed, the next `times` fail this way. */
  injectFault(fault: LogsFault, opts: { times?: number; after?: number } = {}): void {
    this.#faults.push({ fault, remaining: opts.times ?? 1, skip: opts.after ?? 0 });
  }

  all(gateway?: string): SimLog[] {
    if (gateway !== undefined) return this.#list(gateway).map((s) => s.log);
    return [...this.#byGateway.values()].flatMap((l) => l.map((s) => s.log));
  }

  clear(): void {
    this.#byGateway.clear();
    this.#faults = [];
    this.lagMs = 0;
    this.reportEventId = true;
  }

  /** A log as the endpoints serve it. */
  #served(log: SimLog): ServedLog {
    if (this.reportEventId) return log;
    const { event_id: _omitted, ...documented } = log;
    return documented;
  }

  #fault(): LogsReply | undefined {
    const rule = this.#faults.find((f) => f.remaining > 0);
    if (!rule) return undefined;
    if (rule.skip > 0) {
      rule.skip -= 1;
      return undefined;
    }
    rule.remaining -= 1;
    const err = (e: ErrorReply): LogsReply => ({ status: e.status, body: e.body, headers: e.headers });
    switch (rule.fault) {
      case 401:
        return err(unauthorized());
      case 429:
        return { ...err(v4Error(429, 971, 'Please wait and consider throttling your request speed')), headers: { 'retry-after': '30' } };
      case 'malformed':
        return { status: 200, body: undefined, raw: '{"success":true,"errors":[],"messages":[],"result":[{"id":"01' };
      default:
        return err(v4Error(rule.fault, 10001, 'Internal server error'));
    }
  }

  /** GET …/ai-gateway/gateways/{gateway}/logs */
  listReply(gateway: string, params: URLSearchParams): LogsReply {
    const fault = this.#fault();
    if (fault) return fault;
    const page = Number(params.get('page') ?? 1);
    const perPage = Number(params.get('per_page') ?? 20);
    if (!Number.isInteger(page) || page < 1) return { status: 400, body: v4Error(400, 7400, 'page must be a positive integer').body };
    if (!Number.isInteger(perPage) || perPage < 1 || perPage > MAX_PER_PAGE) return { status: 400, body: v4Error(400, 7400, `per_page must be 1..${MAX_PER_PAGE}`).body };
    const orderBy = params.get('order_by') ?? 'created_at';
    if (!(ORDER_FIELDS as readonly string[]).includes(orderBy)) return { status: 400, body: v4Error(400, 7400, `order_by must be one of ${ORDER_FIELDS.join(', ')}`).body };
    const desc = (params.get('order_by_direction') ?? 'desc') === 'desc';
    const clauses = parseFilterClauses(params);
    const bad = clauses.find((c) => !['eq', 'neq', 'contains', 'lt', 'gt'].includes(c.operator) || c.value.length === 0);
    if (bad) return { status: 400, body: v4Error(400, 7400, `bad filter on ${bad.key}`).body };

    const list = this.#list(gateway);
    const visibleBefore = Date.now() - this.lagMs;
    // created_at bounds by binary search (the list is in time order); the rest filtered in the range.
    const lowerBound = (t: number, inclusive: boolean) => {
      let lo = 0;
      let hi = list.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (inclusive ? list[mid]!.at < t : list[mid]!.at <= t) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    };
    let from = 0;
    let to = lowerBound(visibleBefore, false);
    const rest: Clause[] = [];
    for (const c of clauses) {
      if (c.key === 'created_at' && c.value.length === 1 && (c.operator === 'gt' || c.operator === 'lt')) {
        const t = Date.parse(c.value[0]!);
        if (Number.isNaN(t)) return { status: 400, body: v4Error(400, 7400, 'created_at must be a date-time').body };
        if (c.operator === 'gt') from = Math.max(from, lowerBound(t, false));
        else to = Math.min(to, lowerBound(t, true));
      } else rest.push(c);
    }
    to = Math.max(from, to);

    let view: { length: number; at: (i: number) => StoredLog };
    if (rest.length === 0 && orderBy === 'created_at') {
      view = { length: to - from, at: (i) => list[desc ? to - 1 - i : from + i]! };
    } else {
      const picked = list.slice(from, to).filter((s) => rest.every((c) => matches(s.log, c)));
      if (orderBy !== 'created_at') {
        picked.sort((a, b) => {
          const x = String(fieldOf(a.log, orderBy));
          const y = String(fieldOf(b.log, orderBy));
          return x < y ? -1 : x > y ? 1 : a.at - b.at;
        });
      }
      if (desc) picked.reverse();
      view = { length: picked.length, at: (i) => picked[i]! };
    }
    const result: ServedLog[] = [];
    for (let i = (page - 1) * perPage; i < Math.min(view.length, page * perPage); i++) result.push(this.#served(view.at(i).log));
    return {
      status: 200,
      body: { success: true, errors: [], messages: [], result, result_info: { page, per_page: perPage, count: result.length, total_count: view.length } },
    };
  }

  /** GET …/ai-gateway/gateways/{gateway}/logs/{id} */
  getReply(gateway: string, id: string): LogsReply {
    const fault = this.#fault();
    if (fault) return fault;
    const visibleBefore = Date.now() - this.lagMs;
    const found = this.#list(gateway).find((s) => s.log.id === id && s.at <= visibleBefore);
    if (!found) return { status: 404, body: v4Error(404, 7002, 'Log not found').body };
    return {
      status: 200,
      body: {
        success: true,
        errors: [],
        messages: [],
        result: {
          ...this.#served(found.log),
          request_head: '{"model": …}',
          response_head: '{"id": …}',
          request_size: found.size.request,
          response_size: found.size.response,
        },
      },
    };
  }
}
