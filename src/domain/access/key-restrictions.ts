// Keys are a boundary: the restrictions an admin set on a key (its limits, allowedModels and
// expiresAt) are recorded by name on the key (`adminRestricted`). Only an admin may loosen or
// remove them; the key's owner may only tighten them. A key with any of them cannot create,
// rotate or revoke keys (it could otherwise mint itself an unrestricted one).
import type { PrismaClient } from '../../db/index.ts';
import { AppError } from '../../platform/errors.ts';
import type { LimitValues, LimitValuesInput } from '../limits/limit-values.ts';
import { Dec } from '../pricing/pricing.ts';
import { isAdmin, type Principal } from './principal.ts';

export const RESTRICTION_FIELDS = ['requestsPerMinute', 'tokensPerDay', 'monthlyBudgetUsd', 'allowedModels', 'expiresAt'] as const;
export type RestrictionField = (typeof RESTRICTION_FIELDS)[number];

export interface RestrictionChange extends LimitValuesInput {
  allowedModels?: string[] | null;
  expiresAt?: Date | null;
}

/** The restriction fields a change sets (present and not "none"). */
function setFields(change: RestrictionChange): RestrictionField[] {
  return RESTRICTION_FIELDS.filter((f) => {
    const value = change[f];
    return value !== undefined && value !== null && !(Array.isArray(value) && value.length === 0);
  });
}

/** The fields a change removes (present and "none": null, or [] for allowedModels). */
function clearedFields(change: RestrictionChange): RestrictionField[] {
  return RESTRICTION_FIELDS.filter((f) => {
    const value = change[f];
    return value === null || (Array.isArray(value) && value.length === 0);
  });
}

/** adminRestricted of a new key: what an admin set on it; a user's own settings are its to change. */
export function restrictionsOnCreate(principal: Principal, change: RestrictionChange): RestrictionField[] {
  return isAdmin(principal) ? setFields(change) : [];
}

/**
 * adminRestricted after a change to an existing key. An admin's change marks what it sets and
 * unmarks what it removes; anyone else's change to an admin-set field is FORBIDDEN unless it
 * tightens it.
 */
export function restrictionsAfterChange(
  principal: Principal,
  current: { limits: LimitValues; allowedModels: string[]; adminRestricted: string[] },
  change: RestrictionChange,
): RestrictionField[] {
  const marked = new Set(current.adminRestricted.filter((f): f is RestrictionField => (RESTRICTION_FIELDS as readonly string[]).includes(f)));
  if (isAdmin(principal)) {
    for (const f of setFields(change)) marked.add(f);
    for (const f of clearedFields(change)) marked.delete(f);
    return [...marked];
  }
  for (const field of marked) {
    if (change[field] === undefined) continue;
    if (!tightens(field, current, change)) {
      throw new AppError('FORBIDDEN', `An admin set this key's ${field}: only an admin may loosen or remove it`, { field });
    }
  }
  return [...marked];
}

function tightens(field: RestrictionField, current: { limits: LimitValues; allowedModels: string[] }, change: RestrictionChange): boolean {
  switch (field) {
    case 'requestsPerMinute':
    case 'tokensPerDay': {
      const next = change[field];
      const now = current.limits[field];
      return typeof next === 'number' && (now === null || next <= now);
    }
    case 'monthlyBudgetUsd': {
      const next = change.monthlyBudgetUsd;
      const now = current.limits.monthlyBudgetUsd;
      return typeof next === 'string' && (now === null || new Dec(next).lte(now));
    }
    case 'allowedModels': {
      const next = change.allowedModels;
      return Array.isArray(next) && next.length > 0 && (current.allowedModels.length === 0 || next.every((m) => current.allowedModels.includes(m)));
    }
    case 'expiresAt':
      return false;
  }
}

/** FORBIDDEN when the caller's key carries an admin-set restriction (admins excepted: they may lift it anyway). */
export async function requireUnrestrictedKey(prisma: PrismaClient, principal: Principal): Promise<void> {
  if (!principal.keyId || isAdmin(principal)) return;
  const row = await prisma.apiKey.findUnique({ where: { id: principal.keyId }, select: { adminRestricted: true } });
  if (row && row.adminRestricted.length > 0) {
    throw new AppError('FORBIDDEN', 'This API key has restrictions an admin set: it cannot create, rotate or revoke keys');
  }
}
