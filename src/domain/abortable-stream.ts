// Makes a stream stoppable from outside at once: `return()` (a client that unsubscribes or
// disconnects) first aborts the signal the stream was started with, so a generator waiting on
// the upstream wakes up, records its outcome and ends, instead of waiting for the next chunk.
// It also starts the stream at once: the first `next()` is requested when the transport
// subscribes, so the upstream call is under way while yoga or tRPC set up their SSE or
// WebSocket response, instead of after it (time to first token).
export function abortableStream<T>(start: (signal: AbortSignal) => AsyncIterator<T>, outer?: AbortSignal): AsyncIterableIterator<T> {
  const controller = new AbortController();
  const onOuterAbort = () => controller.abort(outer?.reason);
  if (outer?.aborted) controller.abort(outer.reason);
  else outer?.addEventListener('abort', onOuterAbort, { once: true });
  const inner = start(controller.signal);
  const cleanup = () => outer?.removeEventListener('abort', onOuterAbort);
  let prefetched: Promise<IteratorResult<T>> | undefined = inner.next();
  prefetched.catch(() => {}); // handled by whoever takes it in next()

  const iterator: AsyncIterableIterator<T> = {
    async next() {
      const pending = prefetched ?? inner.next();
      prefetched = undefined;
      const result = await pending;
      if (result.done) cleanup();
      return result;
    },
    async return(value?: unknown) {
      controller.abort(new DOMException('The client went away', 'AbortError'));
      cleanup();
      await prefetched?.catch(() => {});
      prefetched = undefined;
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
