// The load driver: undici Pools, a closed loop at fixed concurrency (for the bench) and an open
// loop at a fixed rate (for the soak). Each call reads its whole reply; for streams it notes the
// time to the first text delta (the first "Echo" in the body: every target's first delta).
import { Pool } from 'undici';

export interface CallSpec {
  /** Origin of the target, e.g. http://127.0.0.1:1234 */
  origin: string;
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: string;
  /** A reply is good when its body holds this. */
  expect: string;
  stream: boolean;
}

export interface CallResult {
  ok: boolean;
  latencyMs: number;
  ttftMs?: number;
  /** On failure: the status and the start of the body, or the thrown error. */
  failure?: string;
}

const FIRST_DELTA = 'Echo';

export class Caller {
  private readonly pools = new Map<string, Pool>();
  constructor(private readonly connections: number) {}

  private pool(origin: string): Pool {
    let pool = this.pools.get(origin);
    if (!pool) {
      pool = new Pool(origin, { connections: this.connections, pipelining: 1, keepAliveTimeout: 30_000 });
      this.pools.set(origin, pool);
    }
    return pool;
  }

  async call(spec: CallSpec): Promise<CallResult> {
    const started = performance.now();
    try {
      const res = await this.pool(spec.origin).request({ method: spec.method, path: spec.path, headers: spec.headers, body: spec.body });
      let text = '';
      let ttftMs: number | undefined;
      if (spec.stream) {
        for await (const chunk of res.body) {
          text += (chunk as Buffer).toString('utf8');
          if (ttftMs === undefined && text.includes(FIRST_DELTA)) ttftMs = performance.now() - started;
        }
      } else {
        text = await res.body.text();
      }
      const latencyMs = performance.now() - started;
      const ok = res.statusCode === 200 && text.includes(spec.expect) && !text.includes('"errors"');
      return { ok, latencyMs, ttftMs, ...(!ok && { failure: `${res.statusCode} ${text.slice(0, 300)}` }) };
    } catch (error) {
      return { ok: false, latencyMs: performance.now() - started, failure: String(error) };
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((p) => p.close()));
  }
}

export interface Samples {
  latencies: number[];
  ttfts: number[];
  ok: number;
  errors: number;
}

/**
 * Closed loop: `concurrency` workers call back to back for warmupMs + durationMs. Only calls
 * started after the warm-up are recorded. `onWindow` is called at the window's start and end
 * (for CPU readings) and `tick` every 100 ms during it (for RSS).
 */
export async function closedLoop(
  caller: Caller,
  spec: CallSpec,
  opts: { concurrency: number; warmupMs: number; durationMs: number; onWindow: (edge: 'start' | 'end') => void; tick: () => void },
): Promise<Samples & { windowMs: number; windowCalls: number }> {
  const samples: Samples = { latencies: [], ttfts: [], ok: 0, errors: 0 };
  const t0 = performance.now();
  const windowStart = t0 + opts.warmupMs;
  const windowEnd = windowStart + opts.durationMs;
  let windowCalls = 0;
  let started = false;
  let ended = false;
  const startTimer = setTimeout(() => {
    started = true;
    opts.onWindow('start');
  }, opts.warmupMs);
  const endTimer = setTimeout(() => {
    ended = true;
    opts.onWindow('end');
  }, opts.warmupMs + opts.durationMs);
  const ticker = setInterval(() => {
    if (started && !ended) opts.tick();
  }, 100);

  async function worker(): Promise<void> {
    while (performance.now() < windowEnd) {
      const at = performance.now();
      const result = await caller.call(spec);
      if (started && !ended) windowCalls++;
      if (at < windowStart) continue;
      if (result.ok) {
        samples.ok++;
        samples.latencies.push(result.latencyMs);
        if (result.ttftMs !== undefined) samples.ttfts.push(result.ttftMs);
      } else {
        samples.errors++;
      }
    }
  }
  await Promise.all(Array.from({ length: opts.concurrency }, worker));
  clearTimeout(startTimer);
  clearTimeout(endTimer);
  // The last call may finish before the end timer fires: close the window here then.
  if (!ended) {
    ended = true;
    opts.onWindow('end');
  }
  clearInterval(ticker);
  return { ...samples, windowMs: opts.durationMs, windowCalls };
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}
