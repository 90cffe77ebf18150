// Reads an upstream stream eagerly while its ledger row is being written, so nothing the upstream
// sends in that time is lost (a socket the upstream cut while we waited would otherwise discard
// the buffered reply), then hands the events on only once `ready` resolved: no byte reaches the
// caller before the row is durable. After that it reads on demand again (backpressure).
//
// `onHeld(ms)`: how long the first event waited for `ready` (0 when `ready` came first).
export async function* readAheadUntil<T>(source: AsyncIterable<T>, ready: Promise<unknown>, onHeld?: (ms: number) => void): AsyncGenerator<T, void, undefined> {
  const it = source[Symbol.asyncIterator]();
  const early: Array<IteratorResult<T>> = [];
  let firstAt: number | undefined;
  let failure: { error: unknown } | undefined;
  let isReady = false;
  let step: Promise<unknown> = Promise.resolve();
  const pumped = (async () => {
    while (!isReady) {
      step = it.next().then(
        (r) => {
          firstAt ??= performance.now();
          early.push(r);
        },
        (error: unknown) => void (failure = { error }),
      );
      await step;
      if (failure || early.at(-1)?.done) return;
    }
  })();
  try {
    try {
      await ready;
      onHeld?.(firstAt === undefined ? 0 : performance.now() - firstAt);
    } finally {
      isReady = true;
    }
    let pumpDone = false;
    void pumped.then(() => (pumpDone = true));
    for (;;) {
      let r: IteratorResult<T>;
      if (early.length > 0) r = early.shift()!;
      else if (failure) throw failure.error;
      else if (pumpDone) r = await it.next();
      else {
        await Promise.race([pumped, step]);
        await Promise.resolve();
        continue;
      }
      if (r.done) return;
      yield r.value;
    }
  } finally {
    await it.return?.();
  }
}
