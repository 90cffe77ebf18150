// Where reconciliation reads Cloudflare's record of each request: a small interface, so another
// source (Logpush, an OpenTelemetry export, Workers Observability) can be added beside the REST
// logs API. Pages are yielded one at a time: a run holds one page in memory, never the range.
import type { GatewayLog, GatewayLogPage } from '../../upstream/gateway-logs-client.ts';

export type { GatewayLog };

export interface LogSource {
  /** The gateway's logs with created_at in [from, to), oldest first, a page at a time. */
  pages(range: { gatewayId: string; from: Date; to: Date }, signal?: AbortSignal): AsyncIterable<GatewayLog[]>;
}

/** Pages of the REST logs API (page numbers from 1 until the last page). */
export function restLogSource(client: { listPage(q: { gatewayId: string; from: Date; to: Date; page: number; perPage: number }, signal?: AbortSignal): Promise<GatewayLogPage> }, perPage = 50): LogSource {
  return {
    async *pages(range, signal) {
      for (let page = 1; ; page++) {
        const result = await client.listPage({ ...range, page, perPage }, signal);
        if (result.logs.length > 0) yield result.logs;
        if (result.last) return;
      }
    },
  };
}
