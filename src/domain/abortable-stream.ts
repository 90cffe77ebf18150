// Makes a stream stoppable from outside at once: `return()` (a client that unsubscribes or
// disconnects) first aborts the signal the stream was started with, so a generator waiting on
// the upstream wakes up, records its outcome and ends, instead of waiting for the next chunk.
export function abortableStream<T>(start: (signal: AbortSignal) => AsyncIterator<T>, outer?: AbortSignal): AsyncIterableIterator<T> {
  const controller = new AbortController();
  const onOuterAbort = () => controller.abort(outer?.reason);
  if (outer?.aborted) controller.abort(outer.reason);
  else outer?.addEventListener('abort', onOuterAbort, { once: true });
  const inner = start(controller.signal);
  const cleanup = () => outer?.removeEventListener('abort', onOuterAbort);

  const iterator: AsyncIterableIterator<T> = {
    async next() {
      const result = await inner.next();
      if (result.done) cleanup();
      return result;
    },
    async return(value?: unknown) {
      controller.abort(new DOMException('The client went away', 'AbortError'));
      cleanup();
      await inner.return?.(value);
      return { done: true, value: undefined };
    },
    async throw(error?: unknown) {
      controller.abort(error);
      cleanup();
      if (inner.throw) return inner.throw(error);
      throw error;
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}
