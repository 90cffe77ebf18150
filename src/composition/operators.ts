// Operators' controls, as the composition root builds them (kept apart so src/app.ts gains a few
// lines): the audit log reader, budget alerts (the webhook sender, the checker fed by the ledger,
// the subscription feed, the webhook outbox loop) and retention (the RETENTION_DAYS sweep, purge,
// export).
import type { Database } from '../db/index.ts';
import { createAlertChecker, type SettledRow } from '../domain/alerts/alert-checker.ts';
import { createBudgetAlerts, type BudgetAlerts } from '../domain/alerts/budget-alerts.ts';
import { createBudgetEventFeed, type BudgetEventFeed } from '../domain/alerts/event-feed.ts';
import { createWebhookDelivery } from '../domain/alerts/webhook-delivery.ts';
import type { WebhookPort } from '../domain/alerts/webhook-port.ts';
import { createAuditLog, type AuditLog } from '../domain/audit/audit-log.ts';
import { createRetention, type Retention } from '../domain/retention/retention-service.ts';
import type { Env } from '../platform/env.ts';
import type { Logger } from '../platform/logger.ts';
import { createWebhookSender } from '../upstream/webhook-sender.ts';

const ALERT_SWEEP_MS = 30_000;
const RETENTION_SWEEP_MS = 3_600_000;

export interface OperatorControls {
  auditLog: AuditLog;
  budgetAlerts: BudgetAlerts;
  budgetEvents: BudgetEventFeed;
  retention: Retention;
  /** The ledger wrote these rows: check the alerts on their subjects. */
  noteSettled(rows: readonly SettledRow[]): void;
  /** Resolves when the alert checks noted so far are done (tests). */
  alertsIdle(): Promise<void>;
}

export function createOperatorControls(deps: {
  env: Env;
  db: Database;
  logger: Logger;
  onKeysRevoked: (userId: string) => Promise<void>;
  cleanup: Array<() => Promise<void>>;
  webhooks?: WebhookPort;
  /** false (the CLIs): no webhook delivery loop, no periodic alert sweep, no retention sweep. */
  background?: boolean;
}): OperatorControls {
  const { env, db, logger, cleanup } = deps;
  const prisma = db.prisma;
  const webhooks = deps.webhooks ?? createWebhookSender({ allowedHosts: env.WEBHOOK_ALLOWED_HOSTS });
  cleanup.push(() => webhooks.close());
  const budgetEvents = createBudgetEventFeed({ prisma, logger });
  cleanup.push(async () => budgetEvents.close());
  const delivery = createWebhookDelivery({ prisma, webhooks, secret: env.BUDGET_WEBHOOK_SECRET, logger, retryBaseMs: env.WEBHOOK_RETRY_BASE_MS, retryMaxMs: env.WEBHOOK_RETRY_MAX_MS });
  const checker = createAlertChecker({
    prisma,
    logger,
    defaults: { monthlyBudgetUsd: env.DEFAULT_MONTHLY_BUDGET_USD, tokensPerDay: env.DEFAULT_TOKENS_PER_DAY },
    onFired: (event) => {
      budgetEvents.publish(event);
      delivery.kick();
    },
  });
  const retention = createRetention({ prisma, logger, retentionDays: env.RETENTION_DAYS, onKeysRevoked: deps.onKeysRevoked });
  if (deps.background !== false) {
    delivery.start();
    cleanup.push(() => delivery.stop());
    const sweep = setInterval(() => void checker.sweep().catch((error) => logger.warn('budget alert sweep failed', { cause: error })), ALERT_SWEEP_MS);
    sweep.unref();
    cleanup.push(async () => {
      clearInterval(sweep);
      await checker.idle();
    });
    retention.start(RETENTION_SWEEP_MS);
    cleanup.push(() => retention.stop());
  }
  return {
    auditLog: createAuditLog({ prisma }),
    budgetAlerts: createBudgetAlerts({ prisma, webhooks, webhookSecret: env.BUDGET_WEBHOOK_SECRET, onChange: checker.alertsChanged }),
    budgetEvents,
    retention,
    noteSettled: (rows) => checker.noteSettled(rows),
    alertsIdle: () => checker.idle(),
  };
}
