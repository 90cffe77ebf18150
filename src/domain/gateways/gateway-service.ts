// Gateways as callers see them: the list they may use (with their default marked), choosing a
// default (every choice kept in "GatewayChoice"), and the admin sync from Cloudflare's list.
import type { PrismaClient } from '../../db/index.ts';
import { notFound } from '../../platform/errors.ts';
import { uuidv7 } from '../../platform/ids.ts';
import type { UpstreamClient } from '../../upstream/call-vocabulary.ts';
import { isAdmin, type Principal, requireAdmin } from '../access/principal.ts';
import type { UserSettingsCache } from '../access/user-settings.ts';
import { toUserView, type UserView } from '../access/user-view.ts';
import type { GatewayRegistry, GatewayView } from './gateway-registry.ts';
import type { ChooseGatewayInput } from './schemas.ts';
import { recordAudit } from '../audit/audit-trail.ts';

export interface CallerGateway extends GatewayView {
  /** The caller's default: its chosen gateway, else the configured DEFAULT_GATEWAY_ID. */
  isDefault: boolean;
}

export interface GatewayServiceDeps {
  prisma: PrismaClient;
  registry: GatewayRegistry;
  userSettings: UserSettingsCache;
  upstream: Pick<UpstreamClient, 'listGateways'>;
}

export function createGatewayService({ prisma, registry, userSettings, upstream }: GatewayServiceDeps) {
  /** The enabled gateways, the caller's default marked (admins also see disabled ones). */
  async function list(principal: Principal): Promise<CallerGateway[]> {
    const { defaultGatewayId } = await userSettings.get(principal.userId);
    const chosen = defaultGatewayId && registry.get(defaultGatewayId)?.enabled ? defaultGatewayId : registry.defaultGatewayId;
    return registry
      .list()
      .filter((g) => g.enabled || isAdmin(principal))
      .map((g) => ({ ...g, isDefault: g.id === chosen }));
  }

  /** Sets the user's default gateway (checked: known and enabled) and records the choice. */
  async function choose(principal: Principal, input: ChooseGatewayInput): Promise<UserView> {
    const userId = input.userId ?? principal.userId;
    if (userId !== principal.userId && !isAdmin(principal)) throw notFound('User');
    const gatewayId = registry.assertUsable(input.gatewayId);
    const exists = await prisma.user.findUnique({ where: { id: userId }, select: { id: true } });
    if (!exists) throw notFound('User');
    const user = await prisma.$transaction(async (tx) => {
      const updated = await tx.user.update({ where: { id: userId }, data: { defaultGatewayId: gatewayId } });
      await tx.gatewayChoice.create({ data: { id: uuidv7(), userId, gatewayId, chosenBy: principal.userId } });
      // An admin choosing for another user is an administrative act; a user's own choice is its history alone.
      if (userId !== principal.userId) await recordAudit(tx, principal, { action: 'user.gateway', targetType: 'USER', targetId: userId, details: { gatewayId } });
      return updated;
    });
    userSettings.evict(userId);
    return toUserView(user);
  }

  /** The history of a user's choices, oldest first. */
  async function history(principal: Principal, userId = principal.userId) {
    if (userId !== principal.userId && !isAdmin(principal)) throw notFound('User');
    return prisma.gatewayChoice.findMany({ where: { userId }, orderBy: [{ chosenAt: 'asc' }, { id: 'asc' }] });
  }

  /**
   * Admin: refreshes the registry from Cloudflare's gateway list. Listed gateways are added or
   * re-enabled; synced (CLOUDFLARE) gateways no longer listed are disabled; configured ones stay.
   */
  async function sync(principal: Principal, signal?: AbortSignal): Promise<CallerGateway[]> {
    requireAdmin(principal);
    const listed = await upstream.listGateways(signal);
    const ids = [...new Set(listed.map((g) => g.id))];
    await prisma.$transaction(async (tx) => {
      for (const id of ids) await tx.gateway.upsert({ where: { id }, create: { id, name: id, source: 'CLOUDFLARE', enabled: true }, update: { enabled: true } });
      const disabled = await tx.gateway.updateMany({ where: { source: 'CLOUDFLARE', id: { notIn: ids } }, data: { enabled: false } });
      await recordAudit(tx, principal, { action: 'gateway.sync', targetType: 'GATEWAY', targetId: null, details: { listed: ids, disabled: disabled.count } });
    });
    await registry.reload();
    return list(principal);
  }

  return { list, choose, history, sync };
}

export type GatewayService = ReturnType<typeof createGatewayService>;
