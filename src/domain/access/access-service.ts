// Users, API keys and authentication. Keys are random, shown once, stored hashed, revocable.
import type { PrismaClient } from '../../db/index.ts';
import { dbErrorKind } from '../../db/index.ts';
import { AppError, notFound } from '../../platform/errors.ts';
import { uuidv7 } from '../../platform/ids.ts';
import { isUuid } from '../validation.ts';
import { recordAudit } from '../audit/audit-trail.ts';
import { limitColumns, limitValuesOf, type LimitValues } from '../limits/limit-values.ts';
import { generateApiKey, parseApiKey, sameSecret, secretMatches } from './api-key-secret.ts';
import { AuthCache } from './auth-cache.ts';
import { requireUnrestrictedKey, restrictionsOnCreate } from './key-restrictions.ts';
import { isAdmin, requireAdmin, type Principal } from './principal.ts';
import type { CreateApiKeyInput, CreateUserInput } from './schemas.ts';
import { toUserView, type UserView } from './user-view.ts';

/** The user row that the bootstrap ADMIN_API_KEY acts as. */
export const BOOTSTRAP_ADMIN_ID = '00000000-0000-7000-8000-000000000001';
export const BOOTSTRAP_ADMIN_EMAIL = 'admin@switchboard.local';

export interface ApiKeyView {
  id: string;
  userId: string;
  name: string;
  prefix: string;
  createdAt: Date;
  /** Kept to within a minute, without a database write per call. */
  lastUsedAt: Date | null;
  revokedAt: Date | null;
  expiresAt: Date | null;
  rotatedAt: Date | null;
  /** The key's own limits (null: none at this level; the user's and team's still apply). */
  limits: LimitValues;
  /** Model ids the key may call; empty: any. */
  allowedModels: string[];
}

/** Every column of a key except its secret hash: what lists and views read. */
const apiKeySelect = {
  id: true, userId: true, name: true, prefix: true, createdAt: true, lastUsedAt: true, revokedAt: true,
  expiresAt: true, rotatedAt: true, requestsPerMinute: true, tokensPerDay: true, monthlyBudgetUsd: true, allowedModels: true,
} as const;

export interface CreatedApiKey {
  apiKey: ApiKeyView;
  /** The whole key; shown once, never stored. */
  secret: string;
}

export interface AccessServiceOptions {
  prisma: PrismaClient;
  adminApiKey?: string;
  cacheTtlMs: number;
  /** Active (unrevoked, unexpired) keys one user may hold. */
  maxKeysPerUser?: number;
  /** Tells every instance (this one included) that keys stopped working: caches and sockets. */
  publishRevoked?: (event: { keyId?: string; userId?: string }) => Promise<void>;
}

const LAST_USED_RESOLUTION_MS = 60_000;

export function createAccessService({ prisma, adminApiKey, cacheTtlMs, maxKeysPerUser = 20, publishRevoked }: AccessServiceOptions) {
  const cache = new AuthCache(cacheTtlMs);
  const bootstrapPrincipal: Principal = { userId: BOOTSTRAP_ADMIN_ID, role: 'ADMIN' };
  const lastUsedWritten = new Map<string, number>();

  function unauthenticated(): AppError {
    return new AppError('UNAUTHENTICATED', 'A valid API key is required (Authorization: Bearer <key>)');
  }

  function touchLastUsed(keyId: string): void {
    const now = Date.now();
    if (now - (lastUsedWritten.get(keyId) ?? 0) < LAST_USED_RESOLUTION_MS) return;
    lastUsedWritten.set(keyId, now);
    prisma.apiKey.update({ where: { id: keyId }, data: { lastUsedAt: new Date(now) } }).catch(() => {
      // best effort: last-used is informational
    });
  }

  async function ensureBootstrapAdmin(): Promise<void> {
    if (!adminApiKey) return;
    await prisma.user.upsert({
      where: { id: BOOTSTRAP_ADMIN_ID },
      create: { id: BOOTSTRAP_ADMIN_ID, email: BOOTSTRAP_ADMIN_EMAIL, role: 'ADMIN' },
      update: { role: 'ADMIN' },
    });
  }

  /** Resolves `Authorization` header contents (or a bare key) to a principal, or throws UNAUTHENTICATED. */
  async function authenticate(authorization: string | undefined | null): Promise<Principal> {
    const key = bearerToken(authorization);
    if (!key) throw unauthenticated();
    const cached = cache.get(key);
    if (cached) {
      if (cached.keyId) touchLastUsed(cached.keyId);
      return cached;
    }
    if (adminApiKey && sameSecret(key, adminApiKey)) {
      cache.set(key, bootstrapPrincipal);
      return bootstrapPrincipal;
    }
    const parsed = parseApiKey(key);
    if (!parsed) throw unauthenticated();
    const row = await prisma.apiKey.findUnique({
      where: { prefix: parsed.prefix },
      select: { id: true, secretHash: true, revokedAt: true, expiresAt: true, user: { select: { id: true, role: true, teamMembership: { select: { teamId: true } } } } },
    });
    if (!row || row.revokedAt || !secretMatches(parsed.secret, row.secretHash)) throw unauthenticated();
    if (row.expiresAt && row.expiresAt.getTime() <= Date.now()) throw new AppError('UNAUTHENTICATED', 'This API key has expired');
    const principal: Principal = { userId: row.user.id, role: row.user.role, keyId: row.id, teamId: row.user.teamMembership?.teamId ?? null };
    cache.set(key, principal, Date.now(), row.expiresAt?.getTime() ?? Infinity);
    touchLastUsed(row.id);
    return principal;
  }


  async function me(principal: Principal): Promise<UserView> {
    const row = await prisma.user.findUnique({ where: { id: principal.userId } });
    if (!row) throw notFound('User');
    return toUserView(row);
  }

  /** Every user, oldest first (admin). */
  async function listUsers(principal: Principal): Promise<UserView[]> {
    requireAdmin(principal);
    const rows = await prisma.user.findMany({ orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
    return rows.map(toUserView);
  }

  async function createUser(principal: Principal, input: CreateUserInput): Promise<UserView> {
    requireAdmin(principal);
    try {
      const row = await prisma.$transaction(async (tx) => {
        const created = await tx.user.create({ data: { id: uuidv7(), email: input.email, role: input.role } });
        await recordAudit(tx, principal, { action: 'user.create', targetType: 'USER', targetId: created.id, details: { email: created.email, role: created.role } });
        return created;
      });
      return toUserView(row);
    } catch (error) {
      if (dbErrorKind(error) === 'unique_violation') {
        throw new AppError('BAD_INPUT', 'A user with this email already exists', { field: 'email' }, { cause: error });
      }
      throw error;
    }
  }

  async function createApiKey(principal: Principal, input: CreateApiKeyInput): Promise<CreatedApiKey> {
    const ownerId = input.userId ?? principal.userId;
    if (ownerId !== principal.userId) requireAdmin(principal);
    await requireUnrestrictedKey(prisma, principal);
    const owner = isUuid(ownerId) ? await prisma.user.findUnique({ where: { id: ownerId }, select: { id: true } }) : null;
    if (!owner) throw notFound('User');
    // The cap counts active keys; two concurrent creations may both pass it (a soft cap, by one).
    const active = await prisma.apiKey.count({ where: { userId: ownerId, ...activeKey() } });
    if (active >= maxKeysPerUser) {
      throw new AppError('BAD_INPUT', `This user already has ${active} active API keys (MAX_KEYS_PER_USER is ${maxKeysPerUser}): revoke one first`, { field: 'userId' });
    }
    const key = generateApiKey();
    const row = await prisma.$transaction(async (tx) => {
      const created = await tx.apiKey.create({
      data: {
        id: uuidv7(),
        userId: ownerId,
        name: input.name,
        prefix: key.prefix,
        secretHash: key.secretHash,
        expiresAt: input.expiresAt ?? null,
        ...limitColumns(input.limits),
        ...(input.allowedModels && { allowedModels: input.allowedModels }),
        adminRestricted: restrictionsOnCreate(principal, { ...input.limits, allowedModels: input.allowedModels, expiresAt: input.expiresAt }),
      },
      select: apiKeySelect,
      });
      const view = toApiKeyView(created);
      await recordAudit(tx, principal, { action: 'key.create', targetType: 'API_KEY', targetId: created.id, details: { userId: ownerId, name: created.name, prefix: created.prefix, expiresAt: created.expiresAt, limits: view.limits, allowedModels: created.allowedModels } });
      return created;
    });
    return { apiKey: toApiKeyView(row), secret: key.plaintext };
  }

  /** Whose keys an operation may touch: the caller's own, or (admin) any existing user's. */
  async function keyOwner(principal: Principal, userId: string | null | undefined): Promise<string> {
    const ownerId = userId ?? principal.userId;
    if (ownerId === principal.userId) return ownerId;
    if (!isAdmin(principal)) throw notFound('User');
    const owner = isUuid(ownerId) ? await prisma.user.findUnique({ where: { id: ownerId }, select: { id: true } }) : null;
    if (!owner) throw notFound('User');
    return ownerId;
  }

  /** A key the caller may manage (its own, or any as admin), else NOT_FOUND. */
  async function ownedKey(principal: Principal, id: string) {
    const row = isUuid(id) ? await prisma.apiKey.findUnique({ where: { id }, select: { userId: true, revokedAt: true } }) : null;
    if (!row || (row.userId !== principal.userId && !isAdmin(principal))) throw notFound('API key');
    return row;
  }

  /** Stops the keys at once: this instance's cache now, every other instance's through the channel. */
  async function revoked(event: { keyId?: string; userId?: string }): Promise<void> {
    forget(event);
    await publishRevoked?.(event);
  }

  /** Drops cached keys (a revocation notice; undefined: everything, notices may have been missed). */
  function forget(event: { keyId?: string; userId?: string } | undefined): void {
    if (!event) return cache.clear();
    cache.evict((p) => (event.keyId !== undefined && p.keyId === event.keyId) || (event.userId !== undefined && p.userId === event.userId && p.keyId !== undefined));
  }

  async function listApiKeys(principal: Principal, userId?: string | null): Promise<ApiKeyView[]> {
    const ownerId = await keyOwner(principal, userId);
    const rows = await prisma.apiKey.findMany({ where: { userId: ownerId }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], select: apiKeySelect });
    return rows.map(toApiKeyView);
  }

  async function revokeApiKey(principal: Principal, id: string): Promise<boolean> {
    const row = await ownedKey(principal, id);
    await requireUnrestrictedKey(prisma, principal);
    if (!row.revokedAt) {
      await prisma.$transaction(async (tx) => {
        await tx.apiKey.update({ where: { id }, data: { revokedAt: new Date() } });
        await recordAudit(tx, principal, { action: 'key.revoke', targetType: 'API_KEY', targetId: id, details: { userId: row.userId } });
      });
    }
    await revoked({ keyId: id });
    return true;
  }

  /** A new secret for the same key (id, name, limits, expiry kept); the old secret stops at once. */
  async function rotateApiKey(principal: Principal, id: string): Promise<CreatedApiKey> {
    const row = await ownedKey(principal, id);
    await requireUnrestrictedKey(prisma, principal);
    if (row.revokedAt) throw new AppError('BAD_INPUT', 'A revoked key cannot be rotated', { field: 'id' });
    const key = generateApiKey();
    const updated = await prisma.$transaction(async (tx) => {
      const changed = await tx.apiKey.update({
        where: { id },
        data: { prefix: key.prefix, secretHash: key.secretHash, rotatedAt: new Date() },
        select: apiKeySelect,
      });
      await recordAudit(tx, principal, { action: 'key.rotate', targetType: 'API_KEY', targetId: id, details: { userId: row.userId, prefix: changed.prefix } });
      return changed;
    });
    await revoked({ keyId: id });
    return { apiKey: toApiKeyView(updated), secret: key.plaintext };
  }

  /** Revokes every active key of a user (the caller's own by default); returns how many. */
  async function revokeAllApiKeys(principal: Principal, userId?: string | null): Promise<number> {
    const ownerId = await keyOwner(principal, userId);
    await requireUnrestrictedKey(prisma, principal);
    const count = await prisma.$transaction(async (tx) => {
      const revokedKeys = await tx.apiKey.findMany({ where: { userId: ownerId, revokedAt: null }, select: { id: true } });
      const result = await tx.apiKey.updateMany({ where: { userId: ownerId, revokedAt: null }, data: { revokedAt: new Date() } });
      await recordAudit(tx, principal, { action: 'key.revoke', targetType: 'USER', targetId: ownerId, details: { all: true, count: result.count, keyIds: revokedKeys.map((k) => k.id) } });
      return result.count;
    });
    await revoked({ userId: ownerId });
    return count;
  }

  /** A user's team or role changed: its cached principals are stale. */
  function forgetUser(userId: string): void {
    cache.evict((p) => p.userId === userId);
  }

  return { ensureBootstrapAdmin, authenticate, me, listUsers, createUser, createApiKey, listApiKeys, revokeApiKey, rotateApiKey, revokeAllApiKeys, forget, forgetUser };
}

export type AccessService = ReturnType<typeof createAccessService>;

/** The key from `Bearer <key>`; a bare key (e.g. a WebSocket connection parameter) is accepted too. */
function bearerToken(authorization: string | undefined | null): string | undefined {
  const value = authorization?.trim();
  if (!value) return undefined;
  const match = /^Bearer\s+(\S+)$/i.exec(value);
  if (match) return match[1];
  return /\s/.test(value) ? undefined : value;
}

/** Not revoked and not expired. */
const activeKey = () => ({ revokedAt: null, OR: [{ expiresAt: null }, { expiresAt: { gt: new Date() } }] });

type ApiKeyRow = Omit<ApiKeyView, 'limits'> & Parameters<typeof limitValuesOf>[0];

export function toApiKeyView(row: ApiKeyRow): ApiKeyView {
  return {
    id: row.id,
    userId: row.userId,
    name: row.name,
    prefix: row.prefix,
    createdAt: row.createdAt,
    lastUsedAt: row.lastUsedAt,
    revokedAt: row.revokedAt,
    expiresAt: row.expiresAt,
    rotatedAt: row.rotatedAt,
    limits: limitValuesOf(row),
    allowedModels: row.allowedModels,
  };
}
