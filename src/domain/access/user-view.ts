// The public shape of a user, as both APIs return it.
import type { Role } from './principal.ts';

export interface UserLimits {
  requestsPerMinute: number | null;
  tokensPerDay: number | null;
  /** Decimal string; null = no limit. */
  monthlyBudgetUsd: string | null;
}

export interface UserView {
  id: string;
  email: string;
  role: Role;
  defaultGatewayId: string | null;
  limits: UserLimits;
  createdAt: Date;
}

export interface UserRow {
  id: string;
  email: string;
  role: Role;
  defaultGatewayId: string | null;
  requestsPerMinute: number | null;
  tokensPerDay: number | null;
  monthlyBudgetUsd: { toString(): string } | null;
  createdAt: Date;
}

export function toUserView(row: UserRow): UserView {
  return {
    id: row.id,
    email: row.email,
    role: row.role,
    defaultGatewayId: row.defaultGatewayId,
    limits: {
      requestsPerMinute: row.requestsPerMinute,
      tokensPerDay: row.tokensPerDay,
      monthlyBudgetUsd: row.monthlyBudgetUsd === null ? null : row.monthlyBudgetUsd.toString(),
    },
    createdAt: row.createdAt,
  };
}
