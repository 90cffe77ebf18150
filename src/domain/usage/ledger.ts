// The usage ledger writer, with group commit. Two operations, both batched: `begin` inserts an
// attempt's row as PENDING (the write-ahead), `finish` turns it into its final state. A write
// goes out at once (in the caller's own tick) when none is in flight; operations that arrive
// while one is in flight are gathered and written together by the next one (one INSERT and one
// UPDATE statement per flush). Each caller resolves only after its own row is committed. Never
// held on a timer.
//
// Isolation: when a batch statement fails, its rows are written again one by one, so a row the
// database refuses fails only its own call; transient failures (connection, serialization) of a
// single row are retried with backoff.
import { dbErrorKind, type Database } from '../../db/index.ts';
import type { Logger } from '../../logger.ts';
import type { UsageRow } from './usage-row.ts';
import { traceLedgerFlush } from '../../tracing.ts';

/** Every column the ledger writes, spelled as the UsageRow keys (they are the same names). */
const INSERT_COLUMNS: ReadonlyArray<keyof UsageRow> = [
  'id', 'callId', 'attempt', 'ownerId', 'userId', 'apiKeyId', 'teamId', 'tags', 'requestedModel', 'servedModel', 'api', 'gatewayId', 'status', 'errorCode',
  'upstreamStatus', 'streamed', 'transport', 'inputTokens', 'outputTokens', 'cachedInputTokens', 'cacheWriteTokens',
  'reasoningTokens', 'totalTokens', 'costUsd', 'priceVersionId', 'latencyMs', 'timeToFirstTokenMs', 'cacheStatus',
  'upstreamLogId', 'idempotencyKey', 'conversationId', 'usageEstimated', 'finishReason', 'cacheHit', 'cacheSavedUsd', 'neurons', 'createdAt', 'finishedAt',
];
/** What finishing an attempt may change (identity, owner and creation time stay). */
const FINAL_COLUMNS: ReadonlyArray<keyof UsageRow> = [
  'servedModel', 'api', 'status', 'errorCode', 'upstreamStatus', 'inputTokens', 'outputTokens', 'cachedInputTokens',
  'cacheWriteTokens', 'reasoningTokens', 'totalTokens', 'costUsd', 'priceVersionId', 'latencyMs', 'timeToFirstTokenMs',
  'cacheStatus', 'upstreamLogId', 'conversationId', 'usageEstimated', 'finishReason', 'cacheHit', 'cacheSavedUsd', 'neurons', 'finishedAt',
];
const quoted = (columns: ReadonlyArray<string>) => columns.map((c) => `"${c}"`).join(', ');

/**
 * A whole batch is ONE parameter: the rows as a JSON array, typed by PostgreSQL itself
 * (json_populate_recordset with the table's row type: uuid, enums, numeric from its decimal
 * string, timestamptz from ISO-8601). Far cheaper on the hot path than binding 30 parameters a
 * row, and the decimal cost stays exact (a string, never a float).
 */
const INSERT_SQL = `INSERT INTO "UsageRecord" (${quoted(INSERT_COLUMNS)}) SELECT ${quoted(INSERT_COLUMNS)} FROM json_populate_recordset(NULL::"UsageRecord", $1::json)`;
/**
 * Only a PENDING row is finalised: a row that recovery already marked INTERRUPTED (its owner
 * was presumed dead) keeps that state. The UsageDaily trigger adds the finished row to the
 * roll-up (which holds finished rows only; readers take PENDING rows from the ledger).
 */
const FINISH_SQL = `UPDATE "UsageRecord" AS u SET ${FINAL_COLUMNS.map((c) => `"${c}" = r."${c}"`).join(', ')}
  FROM json_populate_recordset(NULL::"UsageRecord", $1::json) AS r WHERE u."id" = r."id" AND u."status" = 'PENDING'`;

/** Rows per statement, to bound one statement's size. */
const MAX_BATCH = 1_000;
const WRITE_ATTEMPTS = 4;

type Op = 'begin' | 'finish';

interface Pending {
  op: Op;
  row: UsageRow;
  resolve: () => void;
  reject: (error: unknown) => void;
}

export interface Ledger {
  /** The write-ahead: inserts the attempt's PENDING row; resolves once committed. */
  begin(row: UsageRow): Promise<void>;
  /** Finalises a PENDING row (status, usage, cost, timings); resolves once committed. */
  finish(row: UsageRow): Promise<void>;
  /** Inserts a row as it is (already final; fixtures and imports). */
  record(row: UsageRow): Promise<void>;
  /** Resolves when every row handed in so far is committed (or failed). */
  drain(): Promise<void>;
}

const isTransient = (error: unknown) => {
  const kind = dbErrorKind(error);
  return kind === 'connection' || kind === 'serialization_failure';
};

export function createLedger({ db, logger, onWritten }: { db: Pick<Database, 'execute'>; logger: Logger; onWritten?: (rows: readonly UsageRow[]) => void }): Ledger {
  let queue: Pending[] = [];
  let flushing: Promise<void> | undefined;

  const statement = (op: Op) => (op === 'begin' ? INSERT_SQL : FINISH_SQL);

  /** One row alone, retried while the failure looks transient. */
  async function writeOne(op: Op, row: UsageRow): Promise<void> {
    const json = JSON.stringify([row]);
    for (let attempt = 1; ; attempt++) {
      try {
        await db.execute(statement(op), [json]);
        return;
      } catch (error) {
        if (attempt >= WRITE_ATTEMPTS || !isTransient(error)) throw error;
        logger.warn('ledger write failed, retrying', { attempt, cause: error });
        await new Promise((r) => setTimeout(r, 50 * 2 ** attempt));
      }
    }
  }

  /** A batch in one statement; when that fails, each row on its own (a bad row fails alone). */
  async function writeBatch(op: Op, batch: readonly Pending[]): Promise<void> {
    if (batch.length === 0) return;
    let batchError: unknown;
    if (batch.length > 1) {
      try {
        await db.execute(statement(op), [JSON.stringify(batch.map((p) => p.row))]);
        settle(batch.map((p) => ({ p })));
        return;
      } catch (error) {
        batchError = error;
        logger.warn('ledger batch failed; writing its rows one by one', { op, rows: batch.length, cause: error });
      }
    }
    const outcomes = await Promise.all(
      batch.map((p) => writeOne(op, p.row).then(() => ({ p }), (error: unknown) => ({ p, error: error ?? batchError }))),
    );
    settle(outcomes);
  }

  function settle(outcomes: ReadonlyArray<{ p: Pending; error?: unknown }>): void {
    const written = outcomes.filter((o) => !('error' in o) || o.error === undefined).map((o) => o.p.row);
    if (written.length > 0) onWritten?.(written);
    for (const { p, error } of outcomes) {
      if (error === undefined) {
        p.resolve();
      } else {
        // Never lose a row silently: the full row goes to the log for replay, and its caller fails.
        logger.error('ledger write failed; row logged for replay', { op: p.op, row: JSON.stringify(p.row), cause: error });
        p.reject(error);
      }
    }
  }

  async function flushLoop(): Promise<void> {
    // No yield before the first write: with nothing in flight, a row's statement is sent in the
    // caller's own tick (the write-ahead insert leaves before the upstream request is built).
    try {
      while (queue.length > 0) {
        const batch = queue.slice(0, MAX_BATCH);
        queue = queue.slice(batch.length);
        // Inserts first: a finish is only ever queued after its begin committed, but keep the order safe.
        await traceLedgerFlush(batch.length, async () => {
          await writeBatch('begin', batch.filter((p) => p.op === 'begin'));
          await writeBatch('finish', batch.filter((p) => p.op === 'finish'));
        });
      }
    } finally {
      // Synchronous with the loop's last check: no row can slip in between and be stranded.
      flushing = undefined;
    }
  }

  function enqueue(op: Op, row: UsageRow): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      queue.push({ op, row, resolve, reject });
      flushing ??= flushLoop();
    });
  }

  async function drain(): Promise<void> {
    while (flushing) await flushing;
  }

  return {
    begin: (row) => enqueue('begin', row),
    finish: (row) => enqueue('finish', row),
    record: (row) => enqueue('begin', row),
    drain,
  };
}
