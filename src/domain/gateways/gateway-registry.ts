// The gateway registry: which Cloudflare gateways callers may route through. Seeded from
// configuration at start (DEFAULT_GATEWAY_ID plus GATEWAYS), kept in memory for the hot path,
// and reloaded from the database when it changes.
import type { PrismaClient } from '../../db/index.ts';
import { AppError } from '../../platform/errors.ts';

export interface GatewayView {
  id: string;
  name: string;
  enabled: boolean;
  source: string;
}

export function createGatewayRegistry({ prisma, defaultGatewayId, seed }: { prisma: PrismaClient; defaultGatewayId: string; seed: readonly string[] }) {
  let byId = new Map<string, GatewayView>();

  async function reload(): Promise<void> {
    const rows = await prisma.gateway.findMany({ orderBy: { id: 'asc' } });
    byId = new Map(rows.map((r) => [r.id, { id: r.id, name: r.name, enabled: r.enabled, source: r.source }]));
  }

  /** Seeds the configured gateways (existing rows are kept as they are) and loads the registry. */
  async function init(): Promise<void> {
    const ids = [...new Set([defaultGatewayId, ...seed])];
    await prisma.gateway.createMany({ data: ids.map((id) => ({ id, name: id, source: 'CONFIG' })), skipDuplicates: true });
    await reload();
  }

  /** The gateway id if it is known and enabled, else BAD_INPUT naming the field. */
  function assertUsable(id: string, field = 'gatewayId'): string {
    const gateway = byId.get(id);
    if (!gateway) throw new AppError('BAD_INPUT', `Unknown gateway "${id}"`, { field });
    if (!gateway.enabled) throw new AppError('BAD_INPUT', `Gateway "${id}" is disabled`, { field });
    return id;
  }

  /** Reloads every `ms` so that a sync or change made on another instance applies here too; returns the stop. */
  function startRefresh(ms: number): () => void {
    const timer = setInterval(() => void reload().catch(() => {}), ms);
    timer.unref();
    return () => clearInterval(timer);
  }

  return { init, reload, startRefresh, assertUsable, list: () => [...byId.values()], get: (id: string) => byId.get(id), defaultGatewayId };
}

export type GatewayRegistry = ReturnType<typeof createGatewayRegistry>;
