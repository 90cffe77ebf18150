// Budget alerts and their events as the adapters show them, and the webhook body of an event.
import type { BudgetScope } from './schemas.ts';

export interface BudgetAlertView {
  id: string;
  scope: BudgetScope;
  subjectId: string;
  thresholdPercent: number;
  webhookUrl: string | null;
  createdAt: Date;
}

/** USD: the monthly budget; TOKENS: the tokens-per-day limit. */
export type LimitKind = 'USD' | 'TOKENS';

export interface BudgetEventView {
  id: string;
  alertId: string;
  scope: BudgetScope;
  subjectId: string;
  thresholdPercent: number;
  usedPercent: number;
  limitKind: LimitKind;
  /** USD as a decimal string, or a token count. */
  limit: string;
  used: string;
  periodStart: Date;
  at: Date;
  /** Who may see it besides admins: the user (USER: itself; API_KEY: the key's owner); TEAM: its members. */
  ownerUserId: string | null;
}

export interface BudgetEventRow {
  id: string;
  alertId: string;
  scope: BudgetScope;
  subjectId: string;
  ownerUserId: string | null;
  limitKind: string;
  thresholdPercent: number;
  usedPercent: number;
  limit: string;
  used: string;
  periodStart: Date;
  at: Date;
}

export function toBudgetEventView(row: BudgetEventRow): BudgetEventView {
  return {
    id: row.id,
    alertId: row.alertId,
    scope: row.scope,
    subjectId: row.subjectId,
    thresholdPercent: row.thresholdPercent,
    usedPercent: row.usedPercent,
    limitKind: row.limitKind === 'TOKENS' ? 'TOKENS' : 'USD',
    limit: row.limit,
    used: row.used,
    periodStart: row.periodStart,
    at: row.at,
    ownerUserId: row.ownerUserId,
  };
}

/** The webhook body: the BudgetEvent as JSON, in a fixed field order (a redelivery sends the same bytes). */
export function webhookBody(e: BudgetEventView): string {
  return JSON.stringify({
    id: e.id,
    alertId: e.alertId,
    scope: e.scope,
    subjectId: e.subjectId,
    thresholdPercent: e.thresholdPercent,
    usedPercent: e.usedPercent,
    limit: e.limit,
    used: e.used,
    periodStart: e.periodStart.toISOString(),
    at: e.at.toISOString(),
    limitKind: e.limitKind,
  });
}
