// One classification of database errors for both adapters. @prisma/adapter-pg turns PostgreSQL
// errors into Prisma codes (P2002, ...); the PGlite adapter does not (a duplicate key surfaces as
// a generic error carrying SQLSTATE 23505 in its driver-adapter cause), and raw queries on either
// carry the SQLSTATE only. So look at the Prisma code first, then for a SQLSTATE or driver error
// kind anywhere on the error's cause/meta chain.
import { registerUnavailable } from '../platform/errors.ts';
import { Prisma } from './generated/client.ts';

export type DbErrorKind =
  | 'unique_violation'
  | 'foreign_key_violation'
  | 'serialization_failure'
  | 'connection'
  | 'other';

const PRISMA_CODES: Record<string, DbErrorKind> = {
  P2002: 'unique_violation',
  P2003: 'foreign_key_violation',
  P2034: 'serialization_failure',
  P1001: 'connection', // can't reach database server
  P1002: 'connection', // reached but timed out
  P1008: 'connection', // operation timed out
  P1017: 'connection', // server closed the connection
  P2024: 'connection', // timed out fetching a connection from the pool
  P2028: 'connection', // a transaction that could not start in time, or was closed under its query
};

/** Error kinds of @prisma/driver-adapter-utils (MappedError['kind']). */
const DRIVER_KINDS: Record<string, DbErrorKind> = {
  UniqueConstraintViolation: 'unique_violation',
  ForeignKeyConstraintViolation: 'foreign_key_violation',
  TransactionWriteConflict: 'serialization_failure',
  DatabaseNotReachable: 'connection',
  ConnectionClosed: 'connection',
  SocketTimeout: 'connection',
  TooManyConnections: 'connection',
};

const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EPIPE', 'EHOSTUNREACH']);

/**
 * node-postgres and pg-pool report a lost, closed or unobtainable connection with a bare Error
 * (no code): a pool wait that timed out, a server that closed the socket mid-query, a client
 * already broken. The adapters pass these on unchanged (or keep only their message).
 */
const CONNECTION_MESSAGES = [
  'timeout exceeded when trying to connect',
  'timeout expired', // a pg.Client's connectionTimeoutMillis
  'connection terminated',
  'connection timeout',
  'is not queryable',
  'cannot use a pool after calling end',
  'the database is closed',
  'query read timeout',
];
const isConnectionMessage = (message: string) => {
  const lower = message.toLowerCase();
  return CONNECTION_MESSAGES.some((m) => lower.includes(m));
};

function fromSqlState(code: string): DbErrorKind | undefined {
  if (code === '23505') return 'unique_violation';
  if (code === '23503') return 'foreign_key_violation';
  if (code === '40001' || code === '40P01') return 'serialization_failure';
  if (code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03') return 'connection';
  if (SOCKET_CODES.has(code)) return 'connection';
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function classify(value: unknown, depth: number, seen: Set<unknown>): DbErrorKind | undefined {
  if (!isRecord(value) || depth > 6 || seen.has(value)) return undefined;
  seen.add(value);
  if (value instanceof Prisma.PrismaClientKnownRequestError) {
    const kind = PRISMA_CODES[value.code];
    if (kind) return kind;
  }
  if (value instanceof Prisma.PrismaClientInitializationError) return 'connection';
  for (const key of ['originalCode', 'code'] as const) {
    const code = value[key];
    if (typeof code === 'string') {
      const kind = fromSqlState(code);
      if (kind) return kind;
    }
  }
  if (value instanceof Error && isConnectionMessage(value.message)) return 'connection';
  const driverKind = value['kind'];
  if (typeof driverKind === 'string' && DRIVER_KINDS[driverKind]) return DRIVER_KINDS[driverKind];
  for (const key of ['cause', 'meta', 'driverAdapterError'] as const) {
    const kind = classify(value[key], depth + 1, seen);
    if (kind) return kind;
  }
  return undefined;
}

export function dbErrorKind(e: unknown): DbErrorKind {
  return classify(e, 0, new Set()) ?? 'other';
}

// A lost, refused or unobtainable connection is UNAVAILABLE wherever it is turned into an AppError.
registerUnavailable((error) => dbErrorKind(error) === 'connection', 'The database cannot take the call right now; retry shortly');
