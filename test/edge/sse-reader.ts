// A raw SSE reader for the edge tests: reads a response body as it arrives, keeps every event with
// its arrival time, and knows when the body ended.
export interface SseEvent {
  event: string;
  data: string;
  at: number;
}

export interface SseReader {
  events: SseEvent[];
  ended: Promise<number>;
  /** Resolves with the first event (from now on or already seen) matching, or rejects after ms. */
  waitFor(match: (e: SseEvent) => boolean, ms?: number): Promise<SseEvent>;
  cancel(): Promise<void>;
}

export function readSse(body: ReadableStream<Uint8Array>): SseReader {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const events: SseEvent[] = [];
  const waiters = new Set<() => void>();
  let buffer = '';
  const ended = (async () => {
    for (;;) {
      const step = await reader.read().catch(() => ({ done: true as const, value: undefined }));
      if (step.done) break;
      buffer += decoder.decode(step.value, { stream: true });
      let cut: number;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        let event = 'message';
        const data: string[] = [];
        for (const line of block.split('\n')) {
          if (line.startsWith('event:')) event = line.slice(6).trim();
          else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
        }
        if (data.length > 0 || event !== 'message') events.push({ event, data: data.join('\n'), at: performance.now() });
      }
      for (const w of waiters) w();
    }
    for (const w of waiters) w();
    return performance.now();
  })();
  return {
    events,
    ended,
    waitFor(match, ms = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = events.find(match);
          if (found) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(found);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no matching event within ${ms} ms: ${JSON.stringify(events.slice(-3))}`));
        }, ms);
        waiters.add(check);
        check();
      });
    },
    cancel: () => reader.cancel().catch(() => undefined),
  };
}
