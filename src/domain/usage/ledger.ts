// The usage ledger writer, with group commit: a row is written at once when no write is in
// flight; rows that arrive while one is in flight are gathered and written together by the
// next one. Each caller resolves only after its own row is committed. Never held on a timer.
import type { Database } from '../../db/index.ts';
import type { Logger } from '../../logger.ts';
import type { UsageRow } from './usage-row.ts';
import { traceLedgerFlush } from '../../tracing.ts';

/** Every column of "UsageRecord", spelled as the UsageRow keys (they are the same names). */
const COLUMNS: ReadonlyArray<keyof UsageRow> = [
  'id', 'callId', 'attempt', 'userId', 'requestedModel', 'servedModel', 'api', 'gatewayId', 'status', 'errorCode', 'upstreamStatus',
  'streamed', 'transport', 'inputTokens', 'outputTokens', 'cachedInputTokens', 'cacheWriteTokens', 'reasoningTokens',
  'totalTokens', 'costUsd', 'priceVersionId', 'latencyMs', 'timeToFirstTokenMs', 'cacheStatus', 'upstreamLogId',
  'idempotencyKey', 'conversationId', 'createdAt',
];
const COLUMN_LIST = COLUMNS.map((c) => `"${c}"`).join(', ');

/**
 * A whole batch is ONE parameter: the rows as a JSON array, typed by PostgreSQL itself
 * (json_populate_recordset with the table's row type: uuid, enums, numeric from its decimal
 * string, timestamptz from ISO-8601). Far cheaper on the hot path than binding 26 parameters a
 * row, and the decimal cost stays exact (a string, never a float).
 */
const INSERT_SQL = `INSERT INTO "UsageRecord" (${COLUMN_LIST}) SELECT ${COLUMN_LIST} FROM json_populate_recordset(NULL::"UsageRecord", $1::json)`;

/** Rows per INSERT, to bound one statement's size. */
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
    const json = JSON.stringify(rows);
    for (let attempt = 1; ; attempt++) {
      try {
        await db.execute(INSERT_SQL, [json]);
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
        await traceLedgerFlush(rows.length, () => write(rows));
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
