// The webhook outbox. Every instance runs this loop; a due event is claimed in the database (one
// statement, FOR UPDATE SKIP LOCKED, with a claim that lapses) so exactly one instance posts it at
// a time. A 2xx marks it DELIVERED; anything else (or no answer) schedules the next attempt with
// exponential backoff. Every attempt sends the same body and the same x-switchboard-event-id, so a
// receiver that saw it before can tell. The signature is the hex HMAC-SHA256 of the body with
// BUDGET_WEBHOOK_SECRET.
import { createHmac } from 'node:crypto';
import type { PrismaClient } from '../../db/index.ts';
import { backoffDelay } from '../../platform/backoff.ts';
import type { Logger } from '../../platform/logger.ts';
import { toBudgetEventView, webhookBody } from './views.ts';
import type { WebhookPort } from './webhook-port.ts';

const BATCH = 10;
const CLAIM_SECONDS = 60;

const CLAIM_SQL = `UPDATE "BudgetEvent" SET "claimedUntil" = now() + interval '${CLAIM_SECONDS} seconds'
  WHERE "id" IN (
    SELECT "id" FROM "BudgetEvent"
    WHERE "deliveryState" = 'PENDING' AND "nextAttemptAt" <= now() AND ("claimedUntil" IS NULL OR "claimedUntil" < now())
    ORDER BY "nextAttemptAt" LIMIT ${BATCH} FOR UPDATE SKIP LOCKED)
  RETURNING "id"::text AS "id"`;

const DELIVERED_SQL = `UPDATE "BudgetEvent" SET "deliveryState" = 'DELIVERED', "deliveredAt" = now(), "attempts" = "attempts" + 1, "claimedUntil" = NULL, "lastError" = NULL
  WHERE "id" = $1::uuid AND "deliveryState" = 'PENDING'`;
const RETRY_SQL = `UPDATE "BudgetEvent" SET "attempts" = "attempts" + 1, "nextAttemptAt" = now() + ($2::bigint * interval '1 millisecond'), "claimedUntil" = NULL, "lastError" = $3
  WHERE "id" = $1::uuid AND "deliveryState" = 'PENDING'`;

export function signature(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

export interface WebhookDeliveryDeps {
  prisma: PrismaClient;
  webhooks: WebhookPort;
  secret?: string;
  logger: Logger;
  retryBaseMs: number;
  retryMaxMs: number;
  pollMs?: number;
}

export function createWebhookDelivery({ prisma, webhooks, secret, logger, retryBaseMs, retryMaxMs, pollMs = 1_000 }: WebhookDeliveryDeps) {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;

  const delayAfter = (attempts: number) => backoffDelay(attempts, { baseMs: retryBaseMs, maxMs: retryMaxMs });

  async function deliver(id: string): Promise<void> {
    const row = await prisma.budgetEvent.findUnique({ where: { id } });
    if (!row || row.deliveryState !== 'PENDING' || !row.webhookUrl) return;
    const event = toBudgetEventView(row);
    const body = webhookBody(event);
    let failure: string;
    try {
      if (!secret) throw new Error('BUDGET_WEBHOOK_SECRET is not set');
      const status = await webhooks.post(row.webhookUrl, body, { 'x-switchboard-event-id': event.id, 'x-switchboard-signature': signature(secret, body) });
      if (status >= 200 && status < 300) {
        await prisma.$executeRawUnsafe(DELIVERED_SQL, id);
        logger.info('budget webhook delivered', { eventId: id, attempts: row.attempts + 1 });
        return;
      }
      failure = `HTTP ${status}`;
    } catch (error) {
      failure = error instanceof Error ? error.message.slice(0, 300) : 'delivery failed';
    }
    const delay = delayAfter(row.attempts);
    await prisma.$executeRawUnsafe(RETRY_SQL, id, delay, failure);
    // A retry due before the next poll is looked for when it is due.
    if (delay < pollMs) setTimeout(kick, delay + 5).unref();
    logger.warn('budget webhook not delivered; will retry', { eventId: id, attempts: row.attempts + 1, retryInMs: delay, reason: failure });
  }

  async function drain(): Promise<void> {
    do {
      again = false;
      const claimed = await prisma.$queryRawUnsafe<Array<{ id: string }>>(CLAIM_SQL);
      await Promise.all(claimed.map((c) => deliver(c.id).catch((error) => logger.error('budget webhook delivery failed', { eventId: c.id, cause: error }))));
      if (claimed.length === BATCH) again = true;
    } while (again && !stopped);
  }

  /** Looks for due deliveries now (an event was just stored). */
  function kick(): void {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = drain()
      .catch((error) => logger.warn('budget webhook outbox read failed', { cause: error }))
      .finally(() => {
        running = undefined;
      });
  }

  function start(): void {
    if (timer) return;
    timer = setInterval(kick, pollMs);
    timer.unref();
    kick();
  }

  async function stop(): Promise<void> {
    stopped = true;
    if (timer) clearInterval(timer);
    timer = undefined;
    await running;
  }

  return { start, stop, kick };
}

export type WebhookDelivery = ReturnType<typeof createWebhookDelivery>;
