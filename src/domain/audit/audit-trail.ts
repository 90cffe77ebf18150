// Writes one AuditEvent for an administrative or key-management act, through the transaction
// that makes the change (so the event commits or rolls back with it). The actor is the caller:
// its user id and the key it used (none for ADMIN_API_KEY and the operator CLIs, which act as the
// bootstrap admin). The request id comes from the request being served, when there is one.
import type { Prisma, PrismaClient } from '../../db/index.ts';
import { uuidv7 } from '../../platform/ids.ts';
import { currentRequest } from '../../platform/request-context.ts';
import type { Principal } from '../access/principal.ts';

/** What kind of thing an act changed. */
export type AuditTargetType = 'USER' | 'API_KEY' | 'TEAM' | 'MODEL_PRICE' | 'REPRICE_RUN' | 'RECONCILE_RUN' | 'BUDGET_ALERT' | 'GATEWAY';

/**
 * The acts that are recorded. A family (the part before the dot) names what was acted on;
 * `purge` and `export` are acts on a user's stored data.
 */
export type AuditAction =
  | 'user.create'
  | 'user.limits'
  | 'user.gateway'
  | 'key.create'
  | 'key.rotate'
  | 'key.revoke'
  | 'key.limits'
  | 'team.create'
  | 'team.limits'
  | 'team.member.add'
  | 'team.member.remove'
  | 'price.set'
  | 'repricing.run'
  | 'reconciliation.run'
  | 'alert.create'
  | 'alert.delete'
  | 'gateway.sync'
  | 'purge'
  | 'export';

export interface AuditAct {
  action: AuditAction;
  targetType: AuditTargetType;
  targetId: string | null;
  /** What changed; plain JSON, never a secret. */
  details?: Record<string, unknown>;
}

/** Anything that can insert an event: the Prisma client or a transaction's client. */
export type AuditWriter = Pick<PrismaClient, 'auditEvent'>;

export async function recordAudit(tx: AuditWriter, actor: Pick<Principal, 'userId' | 'keyId'>, act: AuditAct): Promise<void> {
  await tx.auditEvent.create({
    data: {
      id: uuidv7(),
      actorUserId: actor.userId,
      actorApiKeyId: actor.keyId ?? null,
      action: act.action,
      targetType: act.targetType,
      targetId: act.targetId,
      details: act.details === undefined ? undefined : toJson(act.details),
      requestId: currentRequest()?.requestId ?? null,
    },
  });
}

/** Dates as ISO strings, bigints and decimals as strings: what a JSON column holds. */
function toJson(value: Record<string, unknown>): Prisma.InputJsonObject {
  return JSON.parse(JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))) as Prisma.InputJsonObject;
}
