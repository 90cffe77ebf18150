// Retention and a user's data on request.
// - RETENTION_DAYS: a sweep (at start and every RETENTION_SWEEP_MS) erases content older than the
//   limit in bounded batches, each its own short statement, so it never holds long locks; every
//   instance may sweep (rows taken by another are skipped).
// - purgeUserData (admin): erases one user's content now and revokes its keys, in one
//   transaction with its audit event; the ledger keeps every row's accounting.
// - exportUserData: what is stored about a user (never a secret: keys without their hashes),
//   audited.
import type { PrismaClient } from '../../db/index.ts';
import { notFound } from '../../platform/errors.ts';
import type { Logger } from '../../platform/logger.ts';
import { isAdmin, requireAdmin, type Principal } from '../access/principal.ts';
import { recordAudit } from '../audit/audit-trail.ts';
import { limitValuesOf } from '../limits/limit-values.ts';
import { isUuid } from '../validation.ts';
import {
  DELETE_OLD_IDEMPOTENCY,
  DELETE_USER_IDEMPOTENCY,
  ERASE_OLD_CONVERSATIONS,
  ERASE_OLD_MESSAGES,
  ERASE_USER_CONVERSATIONS,
  ERASE_USER_MESSAGES,
  MARK_OLD_LEDGER_ROWS,
  MARK_USER_LEDGER_ROWS,
} from './content-erasure.ts';

export interface PurgeResult {
  userId: string;
  messagesErased: number;
  conversationsErased: number;
  usageRecordsKept: number;
  keysRevoked: number;
  purgedAt: Date;
}

export interface RetentionSweep {
  cutoff: Date;
  messagesErased: number;
  conversationsErased: number;
  usageRecordsMarked: number;
  idempotencyRecordsDeleted: number;
}

export interface RetentionDeps {
  prisma: PrismaClient;
  logger: Logger;
  /** RETENTION_DAYS; undefined: keep everything (no sweep). */
  retentionDays?: number;
  batchSize?: number;
  /** A user's keys were revoked: stop them on every instance. */
  onKeysRevoked: (userId: string) => Promise<void>;
  now?: () => Date;
}

const DAY_MS = 86_400_000;

/** Plain JSON: dates as ISO strings, decimals and bigints as strings. */
function plain(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)));
}

export function createRetention({ prisma, logger, retentionDays, batchSize = 500, onKeysRevoked, now = () => new Date() }: RetentionDeps) {
  let timer: NodeJS.Timeout | undefined;
  let sweeping: Promise<RetentionSweep | undefined> | undefined;

  async function batches(sql: string, cutoff: Date): Promise<number> {
    let total = 0;
    for (;;) {
      const rows = await prisma.$queryRawUnsafe<unknown[]>(sql, cutoff.toISOString(), batchSize);
      total += rows.length;
      if (rows.length < batchSize) return total;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /** Erases content older than the limit (or the given days); resolves to what it did. */
  async function sweepOnce(days = retentionDays): Promise<RetentionSweep | undefined> {
    if (days === undefined) return undefined;
    const cutoff = new Date(now().getTime() - days * DAY_MS);
    const result: RetentionSweep = {
      cutoff,
      messagesErased: await batches(ERASE_OLD_MESSAGES, cutoff),
      conversationsErased: await batches(ERASE_OLD_CONVERSATIONS, cutoff),
      usageRecordsMarked: await batches(MARK_OLD_LEDGER_ROWS, cutoff),
      idempotencyRecordsDeleted: await batches(DELETE_OLD_IDEMPOTENCY, cutoff),
    };
    if (result.messagesErased + result.conversationsErased + result.usageRecordsMarked > 0) logger.info('retention erased old content', { ...result });
    return result;
  }

  function sweep(): Promise<RetentionSweep | undefined> {
    sweeping ??= sweepOnce().finally(() => {
      sweeping = undefined;
    });
    return sweeping;
  }

  function start(intervalMs: number): void {
    if (retentionDays === undefined || timer) return;
    const run = () => void sweep().catch((error) => logger.error('retention sweep failed', { cause: error }));
    run();
    timer = setInterval(run, intervalMs);
    timer.unref();
  }

  async function stop(): Promise<void> {
    if (timer) clearInterval(timer);
    timer = undefined;
    await sweeping?.catch(() => undefined);
  }

  async function purgeUserData(principal: Principal, userId: string): Promise<PurgeResult> {
    requireAdmin(principal);
    const user = isUuid(userId) ? await prisma.user.findUnique({ where: { id: userId }, select: { id: true } }) : null;
    if (!user) throw notFound('User');
    const result = await prisma.$transaction(
      async (tx) => {
        const messagesErased = await tx.$executeRawUnsafe(ERASE_USER_MESSAGES, userId);
        const conversationsErased = await tx.$executeRawUnsafe(ERASE_USER_CONVERSATIONS, userId);
        await tx.$executeRawUnsafe(MARK_USER_LEDGER_ROWS, userId);
        await tx.$executeRawUnsafe(DELETE_USER_IDEMPOTENCY, userId);
        const usageRecordsKept = await tx.usageRecord.count({ where: { userId } });
        const { count: keysRevoked } = await tx.apiKey.updateMany({ where: { userId, revokedAt: null }, data: { revokedAt: now() } });
        const done: PurgeResult = { userId, messagesErased, conversationsErased, usageRecordsKept, keysRevoked, purgedAt: now() };
        await recordAudit(tx, principal, { action: 'purge', targetType: 'USER', targetId: userId, details: { messagesErased, conversationsErased, usageRecordsKept, keysRevoked } });
        return done;
      },
      { maxWait: 10_000, timeout: 120_000 },
    );
    await onKeysRevoked(userId);
    logger.info('user data purged', { userId, messagesErased: result.messagesErased, keysRevoked: result.keysRevoked });
    return result;
  }

  async function exportUserData(principal: Principal, requested?: string | null): Promise<Record<string, unknown>> {
    const userId = requested ?? principal.userId;
    if (userId !== principal.userId && !isAdmin(principal)) throw notFound('User');
    if (!isUuid(userId)) throw notFound('User');
    const exported = await prisma.$transaction(
      async (tx) => {
        const user = await tx.user.findUnique({ where: { id: userId }, include: { teamMembership: { include: { team: { select: { id: true, name: true } } } } } });
        if (!user) throw notFound('User');
        // One query at a time: a transaction is one connection.
        const apiKeys = await tx.apiKey.findMany({
            where: { userId },
            orderBy: { createdAt: 'asc' },
            select: { id: true, name: true, prefix: true, createdAt: true, lastUsedAt: true, revokedAt: true, expiresAt: true, rotatedAt: true, requestsPerMinute: true, tokensPerDay: true, monthlyBudgetUsd: true, allowedModels: true },
          });
        const conversations = await tx.conversation.findMany({
            where: { userId },
            orderBy: { createdAt: 'asc' },
            include: { messages: { orderBy: { position: 'asc' }, select: { id: true, position: true, role: true, content: true, status: true, toolCalls: true, toolCallId: true, images: true, usageRecordId: true, createdAt: true, contentPurgedAt: true } } },
          });
        const usage = await tx.usageRecord.findMany({ where: { userId }, orderBy: { createdAt: 'asc' } });
        const gatewayChoices = await tx.gatewayChoice.findMany({ where: { userId }, orderBy: { chosenAt: 'asc' } });
        const budgetAlerts = await tx.budgetAlert.findMany({ where: { scope: 'USER', subjectId: userId }, select: { id: true, scope: true, subjectId: true, thresholdPercent: true, createdAt: true, deletedAt: true } });
        const budgetEvents = await tx.budgetEvent.findMany({ where: { ownerUserId: userId }, orderBy: { seq: 'asc' }, select: { id: true, alertId: true, scope: true, subjectId: true, limitKind: true, thresholdPercent: true, usedPercent: true, limit: true, used: true, periodStart: true, at: true } });
        const auditEvents = await tx.auditEvent.findMany({ where: { OR: [{ actorUserId: userId }, { targetId: userId }] }, orderBy: [{ at: 'asc' }, { id: 'asc' }] });
        await recordAudit(tx, principal, { action: 'export', targetType: 'USER', targetId: userId, details: { conversations: conversations.length, usageRecords: usage.length, apiKeys: apiKeys.length } });
        const { teamMembership, monthlyBudgetUsd, requestsPerMinute, tokensPerDay, ...profile } = user;
        return {
          exportedAt: now(),
          user: { ...profile, limits: limitValuesOf({ monthlyBudgetUsd, requestsPerMinute, tokensPerDay }) },
          team: teamMembership ? { id: teamMembership.team.id, name: teamMembership.team.name, addedAt: teamMembership.addedAt } : null,
          apiKeys: apiKeys.map(({ monthlyBudgetUsd: budget, requestsPerMinute: rpm, tokensPerDay: tpd, ...key }) => ({ ...key, limits: limitValuesOf({ monthlyBudgetUsd: budget, requestsPerMinute: rpm, tokensPerDay: tpd }) })),
          conversations,
          usage,
          gatewayChoices,
          budgetAlerts,
          budgetEvents,
          auditEvents,
        };
      },
      { maxWait: 10_000, timeout: 120_000 },
    );
    return plain(exported) as Record<string, unknown>;
  }

  return { sweep, sweepOnce, start, stop, purgeUserData, exportUserData };
}

export type Retention = ReturnType<typeof createRetention>;
