// The budgetEvents subscription: events as they fire, to admins (all) and users (their own: on
// themselves, their keys, their team). An event stored on this instance is pushed at once; events
// stored by other instances are read from the table (by its feed sequence) while anyone here is
// subscribed. Each event reaches each subscriber once.
import type { PrismaClient } from '../../db/index.ts';
import type { Logger } from '../../platform/logger.ts';
import { isAdmin, type Principal } from '../access/principal.ts';
import { toBudgetEventView, type BudgetEventView } from './views.ts';

const RECENT_IDS = 2_000;
const QUEUE_LIMIT = 1_000;

export function createBudgetEventFeed({ prisma, logger, pollMs = 500 }: { prisma: PrismaClient; logger: Logger; pollMs?: number }) {
  const listeners = new Set<(event: BudgetEventView) => void>();
  const recent = new Set<string>();
  let lastSeq: bigint | undefined;
  let timer: NodeJS.Timeout | undefined;
  let polling = false;

  function emit(event: BudgetEventView): void {
    if (recent.has(event.id)) return;
    recent.add(event.id);
    if (recent.size > RECENT_IDS) recent.delete(recent.values().next().value!);
    for (const listener of listeners) listener(event);
  }

  async function poll(): Promise<void> {
    if (polling) return;
    polling = true;
    try {
      if (lastSeq === undefined) {
        const last = await prisma.budgetEvent.aggregate({ _max: { seq: true } });
        lastSeq = last._max.seq ?? 0n;
        return;
      }
      const rows = await prisma.budgetEvent.findMany({ where: { seq: { gt: lastSeq } }, orderBy: { seq: 'asc' }, take: 100 });
      for (const row of rows) {
        lastSeq = row.seq;
        emit(toBudgetEventView(row));
      }
    } catch (error) {
      logger.warn('budget event feed read failed', { cause: error });
    } finally {
      polling = false;
    }
  }

  function startPolling(): void {
    if (timer) return;
    void poll();
    timer = setInterval(() => void poll(), pollMs);
    timer.unref();
  }

  function stopPolling(): void {
    if (timer) clearInterval(timer);
    timer = undefined;
    lastSeq = undefined;
  }

  const visibleTo = (principal: Principal, e: BudgetEventView): boolean =>
    isAdmin(principal) || e.ownerUserId === principal.userId || (e.scope === 'TEAM' && !!principal.teamId && e.subjectId === principal.teamId);

  /** The caller's events from now on, until the signal aborts or the consumer returns. */
  function subscribe(principal: Principal, signal?: AbortSignal): AsyncIterableIterator<BudgetEventView> {
    const queue: BudgetEventView[] = [];
    let wake: ((result: IteratorResult<BudgetEventView>) => void) | undefined;
    let done = false;
    const listener = (event: BudgetEventView) => {
      if (done || !visibleTo(principal, event)) return;
      if (wake) {
        const resolve = wake;
        wake = undefined;
        resolve({ value: event, done: false });
      } else if (queue.length < QUEUE_LIMIT) queue.push(event);
    };
    const finish = (): IteratorResult<BudgetEventView> => {
      if (!done) {
        done = true;
        listeners.delete(listener);
        if (listeners.size === 0) stopPolling();
        signal?.removeEventListener('abort', onAbort);
      }
      const resolve = wake;
      wake = undefined;
      resolve?.({ value: undefined, done: true });
      return { value: undefined, done: true };
    };
    const onAbort = () => void finish();
    listeners.add(listener);
    startPolling();
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted) finish();
    const iterator: AsyncIterableIterator<BudgetEventView> = {
      next: () => {
        if (queue.length > 0) return Promise.resolve({ value: queue.shift()!, done: false });
        if (done) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => (wake = resolve));
      },
      return: () => Promise.resolve(finish()),
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  function close(): void {
    stopPolling();
    listeners.clear();
  }

  return { publish: emit, subscribe, close };
}

export type BudgetEventFeed = ReturnType<typeof createBudgetEventFeed>;
