// createBudgetAlert / budgetAlerts / deleteBudgetAlert (admin). A webhook target is checked when
// the alert is created (allow-list and resolved addresses, see the WebhookPort) and again at each
// delivery. Deleting an alert stops it firing and cancels its undelivered webhooks; its events stay.
import type { PrismaClient } from '../../db/index.ts';
import { AppError, notFound } from '../../platform/errors.ts';
import { uuidv7 } from '../../platform/ids.ts';
import { requireAdmin, type Principal } from '../access/principal.ts';
import { recordAudit } from '../audit/audit-trail.ts';
import { isUuid } from '../validation.ts';
import type { BudgetScope, CreateBudgetAlertInput } from './schemas.ts';
import type { BudgetAlertView } from './views.ts';
import type { WebhookPort } from './webhook-port.ts';

export interface BudgetAlertsDeps {
  prisma: PrismaClient;
  webhooks: WebhookPort;
  /** BUDGET_WEBHOOK_SECRET: without it no alert may have a webhook. */
  webhookSecret?: string;
  /** After an alert was created or deleted (the checker's list of live alerts). */
  onChange?: () => void;
}

export function createBudgetAlerts({ prisma, webhooks, webhookSecret, onChange }: BudgetAlertsDeps) {
  async function subjectExists(scope: BudgetScope, id: string): Promise<boolean> {
    if (scope === 'USER') return (await prisma.user.count({ where: { id } })) > 0;
    if (scope === 'TEAM') return (await prisma.team.count({ where: { id } })) > 0;
    return (await prisma.apiKey.count({ where: { id } })) > 0;
  }

  async function create(principal: Principal, input: CreateBudgetAlertInput): Promise<BudgetAlertView> {
    requireAdmin(principal);
    if (!(await subjectExists(input.scope, input.subjectId))) throw notFound(input.scope === 'USER' ? 'User' : input.scope === 'TEAM' ? 'Team' : 'API key');
    const webhookUrl = input.webhookUrl ?? null;
    if (webhookUrl) {
      if (!webhookSecret) throw new AppError('BAD_INPUT', 'webhookUrl: BUDGET_WEBHOOK_SECRET is not set, so webhooks cannot be signed', { field: 'webhookUrl' });
      await webhooks.check(webhookUrl);
    }
    const view = await prisma.$transaction(async (tx) => {
      const row = await tx.budgetAlert.create({
        data: { id: uuidv7(), scope: input.scope, subjectId: input.subjectId, thresholdPercent: input.thresholdPercent, webhookUrl, createdBy: principal.userId },
      });
      await recordAudit(tx, principal, { action: 'alert.create', targetType: 'BUDGET_ALERT', targetId: row.id, details: { scope: row.scope, subjectId: row.subjectId, thresholdPercent: row.thresholdPercent, webhookUrl } });
      return toView(row);
    });
    onChange?.();
    return view;
  }

  async function list(principal: Principal): Promise<BudgetAlertView[]> {
    requireAdmin(principal);
    const rows = await prisma.budgetAlert.findMany({ where: { deletedAt: null }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
    return rows.map(toView);
  }

  async function remove(principal: Principal, id: string): Promise<boolean> {
    requireAdmin(principal);
    const row = isUuid(id) ? await prisma.budgetAlert.findFirst({ where: { id, deletedAt: null } }) : null;
    if (!row) throw notFound('Budget alert');
    await prisma.$transaction(async (tx) => {
      await tx.budgetAlert.update({ where: { id }, data: { deletedAt: new Date() } });
      await tx.budgetEvent.updateMany({ where: { alertId: id, deliveryState: 'PENDING' }, data: { deliveryState: 'CANCELLED' } });
      await recordAudit(tx, principal, { action: 'alert.delete', targetType: 'BUDGET_ALERT', targetId: id, details: { scope: row.scope, subjectId: row.subjectId, thresholdPercent: row.thresholdPercent } });
    });
    onChange?.();
    return true;
  }

  return { create, list, remove };
}

export type BudgetAlerts = ReturnType<typeof createBudgetAlerts>;

function toView(row: { id: string; scope: BudgetScope; subjectId: string; thresholdPercent: number; webhookUrl: string | null; createdAt: Date }): BudgetAlertView {
  return { id: row.id, scope: row.scope, subjectId: row.subjectId, thresholdPercent: row.thresholdPercent, webhookUrl: row.webhookUrl, createdAt: row.createdAt };
}
