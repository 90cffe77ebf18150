// Cloudflare AI Gateway logs over REST (reference: cloudflare-ai-gateway-logs.md): one page of
// GET {base}/accounts/{account}/ai-gateway/gateways/{gateway}/logs at a time, filtered by
// created_at (qs "repeat" encoding, as the official client sends it), oldest first. Every
// failure is a GatewayLogsError with a reason safe to store and show (no token, no account id).
// No retries: a reconciliation run that meets a 429 or 5xx fails cleanly and the next run redoes it.
import { Agent, request } from 'undici';
import { z } from 'zod';

export interface GatewayLog {
  id: string;
  createdAt: Date;
  /** The cf-aig-event-id the request carried, when the log reports it. */
  eventId: string | null;
  provider: string | null;
  model: string | null;
  success: boolean | null;
  statusCode: number | null;
  tokensIn: number | null;
  tokensOut: number | null;
  /** Cloudflare's cost estimate, USD, as a decimal string. */
  costUsd: string | null;
  metadata: string | null;
}

export interface GatewayLogPage {
  logs: GatewayLog[];
  page: number;
  totalCount: number | null;
  /** True when no page follows. */
  last: boolean;
}

export class GatewayLogsError extends Error {
  override readonly name = 'GatewayLogsError';
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

export interface GatewayLogsConfig {
  baseUrl: string;
  accountId: string;
  apiToken: string;
  timeoutMs: number;
}

const logSchema = z.object({
  id: z.string().min(1),
  created_at: z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'not a date-time'),
  provider: z.string().nullish(),
  model: z.string().nullish(),
  success: z.boolean().nullish(),
  status_code: z.number().int().nullish(),
  tokens_in: z.number().int().nonnegative().nullish(),
  tokens_out: z.number().int().nonnegative().nullish(),
  cost: z.number().nonnegative().nullish(),
  metadata: z.string().nullish(),
  event_id: z.string().nullish(),
});

const pageSchema = z.object({
  success: z.literal(true),
  result: z.array(logSchema),
  result_info: z.object({ page: z.number().int(), per_page: z.number().int(), count: z.number().int().optional(), total_count: z.number().int().optional() }).optional(),
});

/** A JS number from JSON as an exact-enough decimal string (no exponent). */
function decimalOf(n: number): string {
  const s = String(n);
  return /e/i.test(s) ? n.toFixed(10).replace(/\.?0+$/, '') : s;
}

export function createGatewayLogsClient(config: GatewayLogsConfig) {
  const base = `${config.baseUrl.replace(/\/+$/, '')}/accounts/${encodeURIComponent(config.accountId)}`;
  const agent = new Agent({ connections: 4, headersTimeout: config.timeoutMs, bodyTimeout: config.timeoutMs, keepAliveTimeout: 10_000 });

  async function listPage(q: { gatewayId: string; from: Date; to: Date; page: number; perPage: number }, signal?: AbortSignal): Promise<GatewayLogPage> {
    const params = new URLSearchParams({ page: String(q.page), per_page: String(q.perPage), order_by: 'created_at', order_by_direction: 'asc' });
    // created_at > from - 1 ms and < to: the range [from, to)
    params.append('filters.key', 'created_at');
    params.append('filters.operator', 'gt');
    params.append('filters.value', new Date(q.from.getTime() - 1).toISOString());
    params.append('filters.key', 'created_at');
    params.append('filters.operator', 'lt');
    params.append('filters.value', q.to.toISOString());
    const url = `${base}/ai-gateway/gateways/${encodeURIComponent(q.gatewayId)}/logs?${params}`;
    let status: number;
    let text: string;
    let retryAfter: string | undefined;
    try {
      const res = await request(url, { dispatcher: agent, method: 'GET', headers: { authorization: `Bearer ${config.apiToken}`, accept: 'application/json' }, signal });
      status = res.statusCode;
      const ra = res.headers['retry-after'];
      retryAfter = Array.isArray(ra) ? ra[0] : ra;
      text = await res.body.text();
    } catch (error) {
      if (signal?.aborted) throw new GatewayLogsError('the run was cancelled');
      throw new GatewayLogsError(`could not reach the Cloudflare logs API (${error instanceof Error ? error.name : 'network error'})`);
    }
    if (status === 401 || status === 403) throw new GatewayLogsError(`Cloudflare refused the API token for the logs API (HTTP ${status}): check CLOUDFLARE_API_TOKEN has AI Gateway read access`, status);
    if (status === 429) throw new GatewayLogsError(`Cloudflare rate-limited the logs API (HTTP 429${retryAfter ? `, retry after ${retryAfter} s` : ''})`, status);
    if (status === 404) throw new GatewayLogsError(`gateway ${q.gatewayId} not found (HTTP 404)`, status);
    if (status >= 400) throw new GatewayLogsError(`the Cloudflare logs API failed (HTTP ${status})`, status);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new GatewayLogsError(`malformed logs page ${q.page}: the body is not JSON`, status);
    }
    const parsed = pageSchema.safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new GatewayLogsError(`malformed logs page ${q.page}: ${issue ? `${issue.path.join('.')}: ${issue.message}` : 'unexpected shape'}`, status);
    }
    const { result, result_info: info } = parsed.data;
    const totalCount = info?.total_count ?? null;
    return {
      page: q.page,
      totalCount,
      last: result.length < q.perPage || (totalCount !== null && q.page * q.perPage >= totalCount),
      logs: result.map((l) => ({
        id: l.id,
        createdAt: new Date(l.created_at),
        eventId: l.event_id ?? null,
        provider: l.provider ?? null,
        model: l.model ?? null,
        success: l.success ?? null,
        statusCode: l.status_code ?? null,
        tokensIn: l.tokens_in ?? null,
        tokensOut: l.tokens_out ?? null,
        costUsd: l.cost === null || l.cost === undefined ? null : decimalOf(l.cost),
        metadata: l.metadata ?? null,
      })),
    };
  }

  return { listPage, close: () => agent.close() };
}

export type GatewayLogsClient = ReturnType<typeof createGatewayLogsClient>;
