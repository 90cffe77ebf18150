// The usage ledger writer, with group commit: a row is written at once when no write is in
// flight; rows that arrive while one is in flight are gathered and written together by the
// next one. Each caller resolves only after its own row is committed. Never held on a timer.
import { multiRowInsert, type Database, type RawColumn } from '../../db/index.ts';
import type { Logger } from '../../logger.ts';
import type { UsageRow } from './usage-row.ts';

const COLUMNS: ReadonlyArray<RawColumn & { key: keyof UsageRow }> = [
  { name: 'id', key: 'id', cast: 'uuid' },
  { name: 'userId', key: 'userId', cast: 'uuid' },
  { name: 'requestedModel', key: 'requestedModel' },
  { name: 'servedModel', key: 'servedModel' },
  { name: 'api', key: 'api', cast: '"UpstreamApi"' },
  { name: 'gatewayId', key: 'gatewayId' },
  { name: 'status', key: 'status', cast: '"CallStatus"' },
  { name: 'errorCode', key: 'errorCode' },
  { name: 'upstreamStatus', key: 'upstreamStatus', cast: 'int' },
  { name: 'streamed', key: 'streamed', cast: 'boolean' },
  { name: 'transport', key: 'transport' },
  { name: 'inputTokens', key: 'inputTokens', cast: 'int' },
  { name: 'outputTokens', key: 'outputTokens', cast: 'int' },
  { name: 'cachedInputTokens', key: 'cachedInputTokens', cast: 'int' },
  { name: 'cacheWriteTokens', key: 'cacheWriteTokens', cast: 'int' },
  { name: 'reasoningTokens', key: 'reasoningTokens', cast: 'int' },
  { name: 'totalTokens', key: 'totalTokens', cast: 'int' },
  { name: 'costUsd', key: 'costUsd', cast: 'numeric' },
  { name: 'priceVersionId', key: 'priceVersionId', cast: 'uuid' },
  { name: 'latencyMs', key: 'latencyMs', cast: 'int' },
  { name: 'timeToFirstTokenMs', key: 'timeToFirstTokenMs', cast: 'int' },
  { name: 'cacheStatus', key: 'cacheStatus' },
  { name: 'upstreamLogId', key: 'upstreamLogId' },
  { name: 'idempotencyKey', key: 'idempotencyKey' },
  { name: 'conversationId', key: 'conversationId', cast: 'uuid' },
  { name: 'createdAt', key: 'createdAt', cast: 'timestamptz' },
];

/** Rows per INSERT: well under PostgreSQL's 65,535 bind parameters. */
const MAX_BATCH = 1_000;
const WRITE_ATTEMPTS = 4;

interface Pending {
  row: UsageRow;
  resolve: () => void;
  reject: (error: unknown) => void;
}

export interface Ledger {
  /** Resolves once the row is committed. */
  record(row: UsageRow): Promise<void>;
  /** Resolves when every row handed in so far is committed (or failed). */
  drain(): Promise<void>;
}

export function createLedger({ db, logger, onWritten }: { db: Pick<Database, 'execute'>; logger: Logger; onWritten?: (rows: readonly UsageRow[]) => void }): Ledger {
  let queue: Pending[] = [];
  let flushing: Promise<void> | undefined;

  async function write(rows: readonly UsageRow[]): Promise<void> {
    const { sql, params } = multiRowInsert(
      'UsageRecord',
      COLUMNS,
      rows.map((row) => COLUMNS.map((c) => row[c.key])),
    );
    for (let attempt = 1; ; attempt++) {
      try {
        await db.execute(sql, params);
        return;
      } catch (error) {
        if (attempt >= WRITE_ATTEMPTS) throw error;
        logger.warn('ledger write failed, retrying', { attempt, rows: rows.length, cause: error });
        await new Promise((r) => setTimeout(r, 50 * 2 ** attempt));
      }
    }
  }

  async function flushLoop(): Promise<void> {
    // Yield once so that rows handed in during this tick join the first batch.
    await Promise.resolve();
    try {
      await flushQueue();
    } finally {
      // Synchronous with the loop's last check: no row can slip in between and be stranded.
      flushing = undefined;
    }
  }

  async function flushQueue(): Promise<void> {
    while (queue.length > 0) {
      const batch = queue.slice(0, MAX_BATCH);
      queue = queue.slice(batch.length);
      const rows = batch.map((p) => p.row);
      try {
        await write(rows);
        onWritten?.(rows);
        for (const p of batch) p.resolve();
      } catch (error) {
        // Never lose a row silently: the full row goes to the log for replay, and callers fail.
        logger.error('ledger write failed; rows logged for replay', { rows: JSON.stringify(rows), cause: error });
        for (const p of batch) p.reject(error);
      }
    }
  }

  function record(row: UsageRow): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      queue.push({ row, resolve, reject });
      flushing ??= flushLoop();
    });
  }

  async function drain(): Promise<void> {
    while (flushing) await flushing;
  }

  return { record, drain };
}
