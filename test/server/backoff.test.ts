import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../src/platform/backoff.ts';

describe('backoffDelay: the one retry schedule', () => {
  const schedule = { baseMs: 100, maxMs: 1_000 };

  it('doubles from the base and stops at the cap', () => {
    expect([0, 1, 2, 3, 4, 5].map((n) => backoffDelay(n, schedule))).toEqual([100, 200, 400, 800, 1_000, 1_000]);
  });

  it('stays finite and capped after any number of failures (a long outage)', () => {
    for (const attempt of [31, 1_024, 1e6, Number.MAX_SAFE_INTEGER]) expect(backoffDelay(attempt, schedule)).toBe(1_000);
  });

  it('never waits less than the base, even for a negative attempt', () => {
    expect(backoffDelay(-3, schedule)).toBe(100);
  });
});
