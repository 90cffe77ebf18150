// Streams in flight, by the key that opened them, so that revoking or rotating a key ends them
// at once on every transport (WebSockets are closed by the socket guard; this covers SSE and
// every other stream): the stream's next event is an UNAUTHENTICATED error, then it ends, and the
// call underneath is cancelled (its ledger row records the cancellation as for a client that left).
import { AppError } from '../../platform/errors.ts';
import type { Principal } from './principal.ts';

export interface RevokedTarget {
  keyId?: string;
  userId?: string;
}

interface Entry {
  principal: Principal;
  end: (error: AppError) => void;
}

export function createLiveStreams() {
  const entries = new Set<Entry>();

  const matches = (p: Principal, target: RevokedTarget): boolean =>
    (target.keyId !== undefined && p.keyId === target.keyId) || (target.userId !== undefined && p.userId === target.userId && p.keyId !== undefined);

  /** Registers a stream opened by principal; returns its release (call it when the stream ends). */
  function hold(principal: Principal, end: (error: AppError) => void): () => void {
    const entry = { principal, end };
    entries.add(entry);
    return () => void entries.delete(entry);
  }

  /** Ends every stream of a revoked or rotated key (or of every key of a user); returns how many. */
  function endFor(target: RevokedTarget): number {
    let ended = 0;
    for (const entry of entries) {
      if (!matches(entry.principal, target)) continue;
      entries.delete(entry);
      entry.end(new AppError('UNAUTHENTICATED', 'This API key was revoked or rotated'));
      ended++;
    }
    return ended;
  }

  /**
   * source, ending early if the principal's key is revoked: the pending or next `next()` throws the
   * UNAUTHENTICATED error and source is returned (cancelled) without waiting for its next event.
   */
  function revocable<T>(principal: Principal, source: AsyncIterable<T>): AsyncIterableIterator<T> {
    const inner = source[Symbol.asyncIterator]();
    let revokedWith: AppError | undefined;
    let wake: ((error: AppError) => void) | undefined;
    const revoked = new Promise<AppError>((resolve) => (wake = resolve));
    let finished = false;
    const release = principal.keyId
      ? hold(principal, (error) => {
          revokedWith = error;
          wake?.(error);
          void Promise.resolve(inner.return?.()).catch(() => undefined);
        })
      : () => {};
    const finish = () => {
      finished = true;
      release();
    };
    const iterator: AsyncIterableIterator<T> = {
      [Symbol.asyncIterator]: () => iterator,
      async next() {
        if (revokedWith && !finished) {
          finish();
          throw revokedWith;
        }
        if (finished) return { done: true, value: undefined };
        const step = await Promise.race([inner.next(), revoked.then((error) => ({ error }))]).catch((error: unknown) => {
          finish();
          throw error;
        });
        if ('error' in step) {
          finish();
          throw step.error;
        }
        if (step.done) finish();
        return step;
      },
      async return(value?: unknown) {
        finish();
        await Promise.resolve(inner.return?.(value)).catch(() => undefined);
        return { done: true, value: undefined };
      },
      async throw(error?: unknown) {
        finish();
        await Promise.resolve(inner.return?.()).catch(() => undefined);
        throw error;
      },
    };
    return iterator;
  }

  return { hold, endFor, revocable, open: () => entries.size };
}

export type LiveStreams = ReturnType<typeof createLiveStreams>;
