// The db layer's public surface for the other layers.
export { openDatabase, PING_TIMEOUT_MS } from './database.ts';
export type { Database, OpenDatabaseOptions, PrismaClient } from './database.ts';
export { applyMigrations, readMigrations, DEFAULT_MIGRATIONS_DIR } from './migrate.ts';
export { dbErrorKind } from './errors.ts';
export type { DbErrorKind } from './errors.ts';
export { Prisma } from './generated/client.ts';
export * from './generated/enums.ts';
export type {
  User,
  ApiKey,
  Gateway,
  GatewayChoice,
  Conversation,
  Message,
  UsageRecord,
  ModelPrice,
  RepriceRun,
  IdempotencyRecord,
} from './generated/client.ts';
export { multiRowInsert, MAX_BIND_PARAMS } from './raw-insert.ts';
export type { RawColumn } from './raw-insert.ts';
