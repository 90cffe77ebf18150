// The usage ledger writer, with group commit. Two operations, both batched: `begin` inserts an
// attempt's row as PENDING (the write-ahead), `finish` turns it into its final state. A write
// goes out at once (in the caller's own tick) when none is in flight; operations that arrive
// while one is in flight are gathered and written together by the next one (one INSERT and one
// UPDATE statement per flush). Each caller resolves only after its own row is committed. Never
// held on a timer.
//
// Durability: a begin's commit waits for its WAL flush (the PENDING row is durable before any
// byte reaches the client); a finish's does not (Database.executeDeferred): it is committed and
// visible when its caller resolves, so a crash of this process loses nothing, and only a crash
// of the database server within its WAL writer's delay could lose it, leaving the durable
// PENDING row to recovery (INTERRUPTED) and reconciliation. One durable commit per call. Begins
// and finishes go out on their own connections, so neither waits behind the other.
//
// Isolation: when a batch statement fails, its rows are written again one by one, so a row the
// database refuses fails only its own call.
//
// Failing closed (the database unreachable, its connection lost or stalled):
// - a `begin` is not retried: its caller learns at once (UNAVAILABLE) and aborts its upstream
//   request; the caller then hands the attempt's final row to `finish` with `begun: false`;
// - a `finish` (and a `record`) is retried with backoff until it is written: its promise resolves
//   then, however long it takes (callers bound their own wait); a process that dies first leaves
//   the PENDING row to recovery (INTERRUPTED);
// - from the first connection failure until a statement succeeds again the ledger is `down`:
//   `assertWritable` refuses new calls (UNAVAILABLE) before any upstream byte, and a probe
//   (SELECT 1 every PROBE_MS) notices the database's return within a fraction of a second.
import { dbErrorKind, type Database } from '../../db/index.ts';
import { backoffDelay, type Backoff } from '../../platform/backoff.ts';
import { unavailable } from '../../platform/errors.ts';
import type { Logger } from '../../platform/logger.ts';
import type { UsageRow } from './usage-row.ts';
import { traceLedgerFlush } from '../../platform/tracing.ts';

/** Every column the ledger writes, spelled as the UsageRow keys (they are the same names). */
const INSERT_COLUMNS: ReadonlyArray<keyof UsageRow> = [
  'id', 'callId', 'attempt', 'ownerId', 'userId', 'apiKeyId', 'teamId', 'tags', 'requestedModel', 'servedModel', 'api', 'gatewayId', 'status', 'errorCode',
  'upstreamStatus', 'streamed', 'transport', 'surface', 'inputTokens', 'outputTokens', 'cachedInputTokens', 'cacheWriteTokens',
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
/** A row's modality and billed units (optional on UsageRow: a text row leaves them out), with their defaults. */
const MODALITY_COLUMNS: ReadonlyArray<[string, string]> = [
  ['modality', `'TEXT'`], ['images', '0'], ['imageTiles', '0'], ['imageSteps', '0'], ['audioSeconds', '0'], ['characters', '0'],
];
const MODALITY_INSERT = MODALITY_COLUMNS.map(([c, d]) => `coalesce("${c}", ${d})`).join(', ');
const MODALITY_FINISH = MODALITY_COLUMNS.map(([c]) => `"${c}" = coalesce(r."${c}", u."${c}")`).join(', ');

/**
 * A whole batch is ONE parameter: the rows as a JSON array, typed by PostgreSQL itself
 * (json_populate_recordset with the table's row type: uuid, enums, numeric from its decimal
 * string, timestamptz from ISO-8601). Far cheaper on the hot path than binding 30 parameters a
 * row, and the decimal cost stays exact (a string, never a float).
 */
const INSERT_SQL = `INSERT INTO "UsageRecord" (${quoted(INSERT_COLUMNS)}, ${quoted(MODALITY_COLUMNS.map(([c]) => c))}) SELECT ${quoted(INSERT_COLUMNS)}, ${MODALITY_INSERT} FROM json_populate_recordset(NULL::"UsageRecord", $1::json)`;
/**
 * Only a PENDING row is finalised: a row that recovery already marked INTERRUPTED (its owner
 * was presumed dead) keeps that state. The UsageDaily trigger adds the finished row to the
 * roll-up (which holds finished rows only; readers take PENDING rows from the ledger).
 */
const FINISH_SQL = `UPDATE "UsageRecord" AS u SET ${FINAL_COLUMNS.map((c) => `"${c}" = r."${c}"`).join(', ')}, ${MODALITY_FINISH}
  FROM json_populate_recordset(NULL::"UsageRecord", $1::json) AS r WHERE u."id" = r."id" AND u."status" = 'PENDING'`;
/**
 * The final row of an attempt whose PENDING insert failed (its request may have left): inserted
 * as it is unless the insert did commit after all (then FINISH_SQL, run next, finalises it).
 */
const LATE_INSERT_SQL = `${INSERT_SQL} ON CONFLICT ("id") DO NOTHING`;

/** What a finish sends: the row's id and what finishing may change (FINISH_SQL reads nothing else). */
const FINISH_KEYS: ReadonlyArray<string> = ['id', ...FINAL_COLUMNS, ...MODALITY_COLUMNS.map(([c]) => c)];
/** What an insert sends (a late row's JSON serves its insert and its finish alike). */
const INSERT_KEYS: ReadonlyArray<string> = [...INSERT_COLUMNS, ...MODALITY_COLUMNS.map(([c]) => c)];

/**
 * A batch's one parameter. PostgreSQL parses every key of it (json_populate_recordset), and that
 * parse was a fifth of the ledger's database CPU: so a row goes without its null fields (a key
 * left out reads as NULL, the same value), and a finish sends only the columns it sets.
 */
function batchJson(op: Op, rows: readonly UsageRow[]): string {
  return JSON.stringify(rows.map((row) => (op === 'finish' ? compact(row, FINISH_KEYS) : compact(row, INSERT_KEYS))));
}

function compact(row: UsageRow, keys: ReadonlyArray<string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    const value = (row as unknown as Record<string, unknown>)[key];
    if (value !== null && value !== undefined) out[key] = value;
  }
  return out;
}

/** Rows per statement, to bound one statement's size. */
const MAX_BATCH = 1_000;
/** Attempts of a single row whose statement failed for another reason than the connection. */
const WRITE_ATTEMPTS = 3;
/** How often a down ledger checks whether its database is back. */
export const PROBE_MS = 250;
/** Backoff of a finish that could not be written: from 100 ms, doubling, to 1 s. */
const RETRY: Backoff = { baseMs: 100, maxMs: 1_000 };
/** Backoff of a single row's retried serialization failure. */
const SERIALIZATION_RETRY: Backoff = { baseMs: 20, maxMs: 1_000 };

/** begin: the write-ahead; finish: a PENDING row finalised; late: a final row whose begin failed; record: a final row as it is. */
type Op = 'begin' | 'record' | 'finish' | 'late';

interface Pending {
  op: Op;
  row: UsageRow;
  resolve: () => void;
  reject: (error: unknown) => void;
  /** Connection failures so far (finish / late only: they are retried). */
  failures: number;
}

export interface Ledger {
  /** The write-ahead: inserts the attempt's PENDING row; resolves once committed. Rejects at once (UNAVAILABLE) when the database cannot take it. */
  begin(row: UsageRow): Promise<void>;
  /**
   * Finalises a row (status, usage, cost, timings); resolves once committed, retried until it is.
   * `begun: false`: the row's begin failed, so it is inserted in its final state (or finalised,
   * had the insert committed after all). Rejects only when the database refuses the row itself.
   */
  finish(row: UsageRow, options?: { begun?: boolean }): Promise<void>;
  /** Inserts a row as it is (already final; fixtures and imports), retried like a finish. */
  record(row: UsageRow): Promise<void>;
  /** Throws UNAVAILABLE while the ledger's database is known to be unreachable. */
  assertWritable(): void;
  /** Finishes waiting for the database (written when it is back, or recovered after a crash). */
  unwritten(): number;
  /** Resolves when every row handed in so far is committed or failed for good (or after timeoutMs). */
  drain(timeoutMs?: number): Promise<void>;
  /** Stops retrying (after drain): what is still unwritten is left to recovery. */
  close(): void;
}

const isConnection = (error: unknown) => dbErrorKind(error) === 'connection';
const isSerialization = (error: unknown) => dbErrorKind(error) === 'serialization_failure';

const ledgerUnavailable = (cause?: unknown) => unavailable('The usage ledger cannot record calls right now (its database does not answer); retry shortly', cause);

export interface LedgerOptions {
  db: Pick<Database, 'execute' | 'executeDeferred'>;
  logger: Logger;
  /** Rows committed (begins, finishes, records), after each statement. */
  onWritten?: (rows: readonly UsageRow[]) => void;
  /** Each committed statement: whether its commit waited for the WAL flush. */
  onCommit?: (durable: boolean) => void;
}

/** Whether an operation's commit waits for its WAL flush: the write-ahead and rows written as they are. */
const DURABLE: Record<Op, boolean> = { begin: true, record: true, finish: false, late: false };

export function createLedger({ db, logger, onWritten, onCommit }: LedgerOptions): Ledger {
  let queue: Pending[] = [];
  let flushing: Promise<void> | undefined;
  /** Ops waiting for their next attempt (connection failures). */
  const waiting = new Set<Pending>();
  let down: { since: number; cause: unknown } | undefined;
  let probe: NodeJS.Timeout | undefined;
  let closed = false;
  let idle: Array<() => void> = [];

  const statements = (op: Op) => (op === 'begin' || op === 'record' ? [INSERT_SQL] : op === 'finish' ? [FINISH_SQL] : [LATE_INSERT_SQL, FINISH_SQL]);

  async function run(op: Op, json: string): Promise<void> {
    const durable = DURABLE[op];
    for (const sql of statements(op)) {
      await (durable ? db.execute(sql, [json]) : db.executeDeferred(sql, [json]));
      onCommit?.(durable);
    }
  }

  function markDown(cause: unknown): void {
    if (!down) {
      down = { since: Date.now(), cause };
      logger.error('ledger database unreachable: new calls are refused (UNAVAILABLE) until it is back', { cause });
    }
    if (!probe && !closed) {
      probe = setInterval(() => {
        if (flushing || closed) return;
        db.execute('SELECT 1', []).then(markUp, () => undefined);
      }, PROBE_MS);
      probe.unref();
    }
  }

  function markUp(): void {
    if (probe) clearInterval(probe);
    probe = undefined;
    if (!down) return;
    logger.warn('ledger database reachable again', { downMs: Date.now() - down.since });
    down = undefined;
    // What waits for its next attempt goes now.
    for (const p of waiting) requeue(p, 0);
  }

  const timers = new Map<Pending, NodeJS.Timeout>();
  function requeue(p: Pending, delayMs: number): void {
    const existing = timers.get(p);
    if (existing) clearTimeout(existing);
    const go = () => {
      timers.delete(p);
      waiting.delete(p);
      if (closed) return;
      queue.push(p);
      flushing ??= flushLoop();
    };
    if (delayMs <= 0) return go();
    waiting.add(p);
    const timer = setTimeout(go, delayMs);
    timer.unref();
    timers.set(p, timer);
  }

  /** One row alone; a serialization failure is retried at once, a bounded number of times. */
  async function writeOne(op: Op, row: UsageRow): Promise<void> {
    const json = batchJson(op, [row]);
    for (let attempt = 1; ; attempt++) {
      try {
        await run(op, json);
        return;
      } catch (error) {
        if (attempt >= WRITE_ATTEMPTS || !isSerialization(error)) throw error;
        await new Promise((r) => setTimeout(r, backoffDelay(attempt, SERIALIZATION_RETRY)));
      }
    }
  }

  /** A batch in one statement; when that fails, each row on its own (a bad row fails alone). */
  async function writeBatch(op: Op, batch: readonly Pending[]): Promise<void> {
    if (batch.length === 0) return;
    if (batch.length > 1) {
      try {
        await run(op, batchJson(op, batch.map((p) => p.row)));
        settle(batch.map((p) => ({ p })));
        return;
      } catch (error) {
        // A lost connection fails the whole batch alike: no point writing its rows one by one.
        if (isConnection(error)) return settle(batch.map((p) => ({ p, error })));
        logger.warn('ledger batch failed; writing its rows one by one', { op, rows: batch.length, cause: error });
      }
    }
    const outcomes = await Promise.all(batch.map((p) => writeOne(op, p.row).then(() => ({ p }), (error: unknown) => ({ p, error }))));
    settle(outcomes);
  }

  function settle(outcomes: ReadonlyArray<{ p: Pending; error?: unknown }>): void {
    const written = outcomes.filter((o) => o.error === undefined).map((o) => o.p.row);
    if (written.length > 0) {
      markUp();
      onWritten?.(written);
    }
    for (const { p, error } of outcomes) {
      if (error === undefined) {
        p.resolve();
      } else if (isConnection(error)) {
        markDown(error);
        if (p.op === 'begin') {
          // Fail closed: the caller aborts its upstream request and finishes the row late.
          p.reject(ledgerUnavailable(error));
        } else {
          p.failures++;
          if (p.failures === 1) logger.warn('ledger write failed on the connection; retrying until written', { op: p.op, id: p.row.id, cause: error });
          requeue(p, backoffDelay(p.failures - 1, RETRY));
        }
      } else {
        // The database refuses this row itself: it can never be written; its caller fails.
        logger.error('ledger write refused by the database; row not recorded', { op: p.op, id: p.row.id, callId: p.row.callId, cause: error });
        p.reject(error);
      }
    }
    notifyIdle();
  }

  function notifyIdle(): void {
    if (flushing || waiting.size > 0 || queue.length > 0) return;
    const resolved = idle;
    idle = [];
    for (const r of resolved) r();
  }

  async function flushLoop(): Promise<void> {
    // No yield before the first write: with nothing in flight, a row's statement is sent in the
    // caller's own tick (the write-ahead insert leaves before the upstream request is built).
    try {
      while (queue.length > 0) {
        const batch = queue.slice(0, MAX_BATCH);
        queue = queue.slice(batch.length);
        // The durable inserts and the deferred finishes side by side, each on its own connection:
        // a finish is only ever queued after its begin committed (a late row's begin failed).
        const of = (op: Op) => batch.filter((p) => p.op === op);
        await traceLedgerFlush(batch.length, () =>
          Promise.all([
            writeBatch('begin', of('begin')).then(() => writeBatch('record', of('record'))),
            writeBatch('late', of('late')).then(() => writeBatch('finish', of('finish'))),
          ]),
        );
      }
    } finally {
      // Synchronous with the loop's last check: no row can slip in between and be stranded.
      flushing = undefined;
      notifyIdle();
    }
  }

  function enqueue(op: Op, row: UsageRow): Promise<void> {
    if (op === 'begin' && down) return Promise.reject(ledgerUnavailable(down.cause));
    return new Promise<void>((resolve, reject) => {
      queue.push({ op, row, resolve, reject, failures: 0 });
      flushing ??= flushLoop();
    });
  }

  function drain(timeoutMs?: number): Promise<void> {
    const done = new Promise<void>((resolve) => {
      idle.push(resolve);
      notifyIdle();
    });
    if (timeoutMs === undefined) return done;
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([done, new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]).finally(() => clearTimeout(timer));
  }

  return {
    begin: (row) => enqueue('begin', row),
    finish: (row, options) => enqueue(options?.begun === false ? 'late' : 'finish', row),
    record: (row) => enqueue('record', row),
    assertWritable() {
      if (down) throw ledgerUnavailable(down.cause);
    },
    unwritten: () => waiting.size + queue.filter((p) => p.op !== 'begin').length,
    drain,
    close() {
      closed = true;
      if (probe) clearInterval(probe);
      probe = undefined;
      for (const timer of timers.values()) clearTimeout(timer);
      timers.clear();
      if (waiting.size > 0) {
        logger.error('ledger closed with rows unwritten: their calls stay PENDING until recovery marks them INTERRUPTED', { rows: waiting.size, ids: [...waiting].map((p) => p.row.id) });
      }
      for (const p of waiting) p.reject(ledgerUnavailable(down?.cause));
      waiting.clear();
      notifyIdle();
    },
  };
}
