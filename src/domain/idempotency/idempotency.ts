// Idempotency keys for generate and chat, enforced by the database so they hold across
// instances: the first call inserts a PENDING row (primary key userId + key) with the input's
// hash, runs, then stores its result (DONE). A repeat within 24 h finds the row:
//   same input, DONE     -> the stored result (same generation id), no upstream call, no charge;
//   same input, PENDING  -> waits for the first call (polling), then as above;
//   other input          -> IDEMPOTENCY_CONFLICT.
// A first call that fails deletes its PENDING row, so a repeat runs the call again. A PENDING row
// older than the pending lease (its instance crashed) and a row past 24 h are replaced.
// Under a database fault the owner's own writes may fail: letting go of the key (after a failed
// call, or an insert whose answer was lost) and storing a result are then retried in the
// background until they are written or the lease ends, so a client that retries as told is not
// kept waiting behind a PENDING row nobody owns.
import { setTimeout as sleep } from 'node:timers/promises';
import { dbErrorKind, type PrismaClient } from '../../db/index.ts';
import { backoffDelay, type Backoff } from '../../platform/backoff.ts';
import { AppError } from '../../platform/errors.ts';
import { inputHash } from './input-hash.ts';

export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

export interface IdempotencyDeps {
  prisma: PrismaClient;
  /** How long a PENDING row may be waited for before it is presumed abandoned. */
  pendingLeaseMs: number;
  ttlMs?: number;
  now?: () => number;
}

export interface IdempotentCall<T> {
  userId: string;
  key: string;
  operation: 'generate' | 'generateStream' | 'chat' | 'embed' | 'generateImage' | 'transcribe' | 'speak';
  input: Record<string, unknown>;
  signal?: AbortSignal;
  /** The generation id of a result, kept beside it. */
  generationIdOf(result: T): string;
  run(): Promise<T>;
}

/** The owner's background writes: from 100 ms, doubling, to 2 s. */
const WRITE_RETRY: Backoff = { baseMs: 100, maxMs: 2_000 };
/** A second caller polling for the first's answer: from 10 ms, doubling, to 250 ms. */
const OWNER_POLL: Backoff = { baseMs: 10, maxMs: 250 };

const DATE_FIELDS = new Set(['createdAt', 'updatedAt']);
/** JSON.parse reviver: the views' timestamps back to Dates. */
const reviveDates = (key: string, value: unknown): unknown =>
  DATE_FIELDS.has(key) && typeof value === 'string' ? new Date(value) : value;

export function createIdempotency({ prisma, pendingLeaseMs, ttlMs = IDEMPOTENCY_TTL_MS, now = Date.now }: IdempotencyDeps) {
  const records = prisma.idempotencyRecord;

  /** A write the key's owner must make, retried in the background until it succeeds or `until` passes. */
  function eventually(write: () => Promise<unknown>, until: number): void {
    let failures = 0;
    const attempt = (): void =>
      void write().catch(() => {
        const delay = backoffDelay(failures++, WRITE_RETRY);
        if (now() + delay >= until) return;
        setTimeout(attempt, delay).unref();
      });
    attempt();
  }

  async function execute<T>(call: IdempotentCall<T>): Promise<T> {
    const hash = inputHash(call.operation, call.input);
    const id = { userId_key: { userId: call.userId, key: call.key } };
    let waits = 0;
    for (;;) {
      call.signal?.throwIfAborted();
      const createdAt = new Date(now());
      const leaseEnds = createdAt.getTime() + pendingLeaseMs;
      const letGo = () => records.deleteMany({ where: { userId: call.userId, key: call.key, state: 'PENDING', createdAt } });
      try {
        await records.create({
          data: { userId: call.userId, key: call.key, operation: call.operation, inputHash: hash, state: 'PENDING', createdAt, expiresAt: new Date(createdAt.getTime() + ttlMs) },
        });
      } catch (error) {
        const kind = dbErrorKind(error);
        // The insert may have committed with its answer lost: our row, if it is there, goes.
        if (kind === 'connection') eventually(letGo, leaseEnds);
        if (kind !== 'unique_violation') throw error;
        const existing = await records.findUnique({ where: id });
        if (!existing) continue; // the first call failed and let go meanwhile: try again
        const at = now();
        const abandoned = existing.state === 'PENDING' && existing.createdAt.getTime() + pendingLeaseMs <= at;
        if (existing.expiresAt.getTime() <= at || abandoned) {
          // Replace it, unless someone else did first (conditional on the row we saw).
          await records.deleteMany({ where: { userId: call.userId, key: call.key, createdAt: existing.createdAt, state: existing.state } });
          continue;
        }
        if (existing.inputHash !== hash) {
          throw new AppError('IDEMPOTENCY_CONFLICT', 'This idempotency key was already used with a different input', { field: 'idempotencyKey' });
        }
        if (existing.state === 'DONE' && existing.result != null) {
          return JSON.parse(JSON.stringify(existing.result), reviveDates) as T;
        }
        // The first call is still running (here or on another instance): wait for it.
        await sleep(backoffDelay(waits++, OWNER_POLL), undefined, call.signal ? { signal: call.signal } : undefined);
        continue;
      }
      // This call owns the key.
      let result: T;
      try {
        result = await call.run();
      } catch (error) {
        await letGo().catch(() => eventually(letGo, leaseEnds));
        throw error;
      }
      const store = () =>
        records.updateMany({
          where: { userId: call.userId, key: call.key, createdAt },
          data: { state: 'DONE', result: JSON.parse(JSON.stringify(result)), generationId: call.generationIdOf(result) },
        });
      try {
        await store();
      } catch (error) {
        // The call was made and answered: its caller gets the result; the row follows when it can.
        if (dbErrorKind(error) !== 'connection') throw error;
        eventually(store, leaseEnds);
      }
      return result;
    }
  }

  /** Runs `call.run` once per (user, key, input) for 24 h; without a key, just runs it. */
  function run<T>(call: Omit<IdempotentCall<T>, 'key'> & { key: string | null | undefined }): Promise<T> {
    if (!call.key) return call.run();
    return execute({ ...call, key: call.key });
  }

  /** Deletes rows past their 24 h (housekeeping; correctness does not depend on it). */
  async function purgeExpired(): Promise<number> {
    const { count } = await records.deleteMany({ where: { expiresAt: { lte: new Date(now()) } } });
    return count;
  }

  return { run, purgeExpired };
}

export type Idempotency = ReturnType<typeof createIdempotency>;
