// Fires budget alerts. After the ledger settles rows (and on a periodic sweep), the alerts on the
// rows' user, key and team are checked against the subject's settled usage: USD this UTC month
// against its monthly budget, tokens this UTC day against its tokens-per-day limit. An alert whose
// threshold is reached stores one BudgetEvent for the period; the unique key (alert, limit kind,
// period) makes that exactly one however many instances check at once. The instance whose insert
// won announces the event (subscription feed, webhook outbox).
//
// The call path pays nothing for it when no alert concerns a settled row's subjects: the live
// alerts are read at most once per ALERT_LIST_TTL_MS (and again at once after a change made on
// this instance), so an alert created on another instance is seen within that time.
import type { PrismaClient } from '../../db/index.ts';
import { uuidv7 } from '../../platform/ids.ts';
import type { Logger } from '../../platform/logger.ts';
import { DAY_MS, monthOf, monthStart } from '../limits/limit-store.ts';
import { usdToUnits } from '../limits/money.ts';
import type { BudgetScope } from './schemas.ts';
import { toBudgetEventView, type BudgetEventView, type LimitKind } from './views.ts';

/** The part of a settled ledger row that names its subjects. */
export interface SettledRow {
  status: string;
  userId: string;
  apiKeyId?: string | null;
  teamId?: string | null;
}

export interface AlertCheckerDeps {
  prisma: PrismaClient;
  logger: Logger;
  /** The user-level defaults (DEFAULT_MONTHLY_BUDGET_USD, DEFAULT_TOKENS_PER_DAY). */
  defaults: { monthlyBudgetUsd?: string; tokensPerDay?: number };
  /** Called once per stored event, on the instance that stored it. */
  onFired: (event: BudgetEventView) => void;
  now?: () => Date;
}

interface AlertRow {
  id: string;
  scope: BudgetScope;
  subjectId: string;
  thresholdPercent: number;
  webhookUrl: string | null;
}

interface SubjectLimits {
  ownerUserId: string | null;
  monthlyBudgetUsd: string | null;
  tokensPerDay: number | null;
}

const COLUMN: Record<BudgetScope, string> = { USER: '"userId"', API_KEY: '"apiKeyId"', TEAM: '"teamId"' };

/** A subject's settled usage: $1 its id, $2 the month's start, $3 the day's. */
export const settledUsageSql = (scope: BudgetScope) =>
  `SELECT coalesce(sum("costUsd"), 0)::text AS "usd", coalesce(sum("totalTokens") FILTER (WHERE "createdAt" >= $3::timestamptz), 0)::text AS "tokens"
   FROM "UsageRecord" WHERE ${COLUMN[scope]} = $1::uuid AND "createdAt" >= $2::timestamptz AND "status" <> 'PENDING'`;
const MAX_SUBJECTS_PER_CHECK = 500;
/** How long the list of live alerts is reused before it is read again. */
export const ALERT_LIST_TTL_MS = 1_000;

const INSERT_EVENT = `INSERT INTO "BudgetEvent" ("id", "alertId", "scope", "subjectId", "ownerUserId", "limitKind", "thresholdPercent", "usedPercent", "limit", "used", "periodStart", "webhookUrl", "deliveryState")
  VALUES ($1::uuid, $2::uuid, $3::"BudgetScope", $4::uuid, $5::uuid, $6, $7::float8, $8::float8, $9, $10, $11::timestamptz, $12, $13)
  ON CONFLICT ("alertId", "limitKind", "periodStart") DO NOTHING
  RETURNING "id", "alertId", "scope"::text AS "scope", "subjectId"::text AS "subjectId", "ownerUserId"::text AS "ownerUserId", "limitKind", "thresholdPercent", "usedPercent", "limit", "used", "periodStart", "at"`;

export function createAlertChecker({ prisma, logger, defaults, onFired, now = () => new Date() }: AlertCheckerDeps) {
  const pending = new Map<string, { scope: BudgetScope; id: string }>();
  let running: Promise<void> | undefined;
  /** The live alerts by subject ("SCOPE:id"), and when they were read. */
  let alertList: { bySubject: Map<string, AlertRow[]>; readAt: number } | undefined;

  async function liveAlerts(): Promise<Map<string, AlertRow[]>> {
    if (alertList && Date.now() - alertList.readAt < ALERT_LIST_TTL_MS) return alertList.bySubject;
    const readAt = Date.now();
    const rows = await prisma.budgetAlert.findMany({ where: { deletedAt: null }, select: { id: true, scope: true, subjectId: true, thresholdPercent: true, webhookUrl: true } });
    const bySubject = new Map<string, AlertRow[]>();
    for (const a of rows) bySubject.set(`${a.scope}:${a.subjectId}`, [...(bySubject.get(`${a.scope}:${a.subjectId}`) ?? []), a]);
    alertList = { bySubject, readAt };
    return bySubject;
  }

  async function limitsOf(scope: BudgetScope, id: string): Promise<SubjectLimits | undefined> {
    const budget = (d: { toString(): string } | null) => (d === null ? null : d.toString());
    if (scope === 'USER') {
      const u = await prisma.user.findUnique({ where: { id }, select: { monthlyBudgetUsd: true, tokensPerDay: true } });
      return u ? { ownerUserId: id, monthlyBudgetUsd: budget(u.monthlyBudgetUsd) ?? defaults.monthlyBudgetUsd ?? null, tokensPerDay: u.tokensPerDay ?? defaults.tokensPerDay ?? null } : undefined;
    }
    if (scope === 'API_KEY') {
      const k = await prisma.apiKey.findUnique({ where: { id }, select: { userId: true, monthlyBudgetUsd: true, tokensPerDay: true } });
      return k ? { ownerUserId: k.userId, monthlyBudgetUsd: budget(k.monthlyBudgetUsd), tokensPerDay: k.tokensPerDay } : undefined;
    }
    const t = await prisma.team.findUnique({ where: { id }, select: { monthlyBudgetUsd: true, tokensPerDay: true } });
    return t ? { ownerUserId: null, monthlyBudgetUsd: budget(t.monthlyBudgetUsd), tokensPerDay: t.tokensPerDay } : undefined;
  }

  /** Settled usage of one subject: USD since the month began, tokens since the day began (UTC). */
  async function usageOf(scope: BudgetScope, id: string, month: Date, day: Date): Promise<{ usd: string; tokens: number }> {
    const [row] = await prisma.$queryRawUnsafe<Array<{ usd: string; tokens: string }>>(
      settledUsageSql(scope),
      id,
      month.toISOString(),
      day.toISOString(),
    );
    return { usd: row?.usd ?? '0', tokens: Number(row?.tokens ?? 0) };
  }

  async function fire(alert: AlertRow, limits: SubjectLimits, kind: LimitKind, limit: string, used: string, usedPercent: number, periodStart: Date): Promise<void> {
    const rows = await prisma.$queryRawUnsafe<Array<Parameters<typeof toBudgetEventView>[0]>>(
      INSERT_EVENT,
      uuidv7(),
      alert.id,
      alert.scope,
      alert.subjectId,
      limits.ownerUserId,
      kind,
      alert.thresholdPercent,
      usedPercent,
      limit,
      used,
      periodStart.toISOString(),
      alert.webhookUrl,
      alert.webhookUrl ? 'PENDING' : 'NONE',
    );
    const row = rows[0];
    if (!row) return; // another check (here or on another instance) stored it first
    const event = toBudgetEventView({ ...row, periodStart: new Date(row.periodStart), at: new Date(row.at) });
    logger.info('budget alert fired', { alertId: alert.id, eventId: event.id, scope: alert.scope, limitKind: kind, usedPercent });
    onFired(event);
  }

  async function checkAlerts(alerts: AlertRow[]): Promise<void> {
    const at = now();
    const month = monthStart(monthOf(at.getTime()));
    const day = new Date(Math.floor(at.getTime() / DAY_MS) * DAY_MS);
    const bySubject = new Map<string, AlertRow[]>();
    for (const a of alerts) bySubject.set(`${a.scope}:${a.subjectId}`, [...(bySubject.get(`${a.scope}:${a.subjectId}`) ?? []), a]);
    for (const group of bySubject.values()) {
      const { scope, subjectId } = group[0]!;
      const limits = await limitsOf(scope, subjectId);
      if (!limits || (limits.monthlyBudgetUsd === null && limits.tokensPerDay === null)) continue;
      const usage = await usageOf(scope, subjectId, month, day);
      for (const alert of group) {
        if (limits.monthlyBudgetUsd !== null) {
          const limitUnits = usdToUnits(limits.monthlyBudgetUsd);
          if (limitUnits > 0n) {
            const usedPercent = Number((usdToUnits(usage.usd) * 1_000_000n) / limitUnits) / 10_000;
            if (usedPercent >= alert.thresholdPercent) await fire(alert, limits, 'USD', limits.monthlyBudgetUsd, usage.usd, usedPercent, month);
          }
        }
        if (limits.tokensPerDay !== null && limits.tokensPerDay > 0) {
          const usedPercent = Math.floor((usage.tokens * 1_000_000) / limits.tokensPerDay) / 10_000;
          if (usedPercent >= alert.thresholdPercent) await fire(alert, limits, 'TOKENS', String(limits.tokensPerDay), String(usage.tokens), usedPercent, day);
        }
      }
    }
  }

  async function drain(): Promise<void> {
    while (pending.size > 0) {
      const subjects = [...pending.keys()].slice(0, MAX_SUBJECTS_PER_CHECK);
      for (const s of subjects) pending.delete(s);
      const live = await liveAlerts();
      const alerts = subjects.flatMap((s) => live.get(s) ?? []);
      if (alerts.length > 0) await checkAlerts(alerts);
    }
  }

  function schedule(): void {
    if (running) return;
    running = drain()
      .catch((error) => logger.error('budget alert check failed', { cause: error }))
      .finally(() => {
        running = undefined;
        if (pending.size > 0) schedule();
      });
  }

  /** The ledger settled these rows: check the alerts on their subjects (off the call's path). */
  function noteSettled(rows: readonly SettledRow[]): void {
    for (const row of rows) {
      if (row.status === 'PENDING') continue;
      pending.set(`USER:${row.userId}`, { scope: 'USER', id: row.userId });
      if (row.apiKeyId) pending.set(`API_KEY:${row.apiKeyId}`, { scope: 'API_KEY', id: row.apiKeyId });
      if (row.teamId) pending.set(`TEAM:${row.teamId}`, { scope: 'TEAM', id: row.teamId });
    }
    if (pending.size > 0) schedule();
  }

  /** Checks every alert (a periodic sweep: usage settled by another instance, a limit lowered). */
  async function sweep(): Promise<void> {
    await checkAlerts([...(await liveAlerts()).values()].flat());
  }

  /** An alert was created or deleted here: the next check reads the list again. */
  function alertsChanged(): void {
    alertList = undefined;
  }

  /** Resolves when the checks noted so far are done (tests, shutdown). */
  async function idle(): Promise<void> {
    while (running) await running;
  }

  return { noteSettled, sweep, idle, alertsChanged };
}

export type AlertChecker = ReturnType<typeof createAlertChecker>;
