// The ledger's group commit: a lone row is written at once (never held on a timer); rows that
// arrive while a write is in flight go together in the next write; each caller resolves only
// after its own row is committed; on a lost connection a begin fails at once (fail closed) and a
// finish is retried until written.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLedger } from '../../src/domain/ledger/ledger.ts';
import type { UsageRow } from '../../src/domain/ledger/usage-row.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { makeRows } from './ledger-fixture.ts';

const TEMPLATE = makeRows(['00000000-0000-7000-8000-000000000001'], 1, new Date('2026-11-24T00:00:00Z'), 1)[0]!;
const row = (id: string): UsageRow => ({ ...TEMPLATE, id, costUsd: '0.0000010000', createdAt: new Date('2026-11-24T00:00:00Z') });

/** A database whose writes complete only when the test says so. */
function gatedDb() {
  const writes: Array<{ rows: UsageRow[]; finish: (error?: Error) => void }> = [];
  const execute = (_sql: string, params: readonly unknown[]) =>
    new Promise<void>((resolve, reject) => {
      writes.push({ rows: JSON.parse(String(params[0])) as UsageRow[], finish: (error) => (error ? reject(error) : resolve()) });
    });
  return { writes, db: { execute, executeDeferred: execute } };
}

const flushMicrotasks = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

afterEach(() => vi.useRealTimers());

describe('ledger group commit', () => {
  it('writes a lone row at once, with no timer involved', async () => {
    vi.useFakeTimers();
    const { db, writes } = gatedDb();
    const ledger = createLedger({ db, logger: createLogger('silent') });
    let committed = false;
    const done = ledger.record(row('a')).then(() => (committed = true));
    await flushMicrotasks();
    expect(writes).toHaveLength(1); // no timer advanced, the write is already out
    expect(committed).toBe(false); // ... but the caller waits for the commit
    writes[0]!.finish();
    await done;
    expect(committed).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('gathers the rows that arrive during a write into the next single write', async () => {
    const { db, writes } = gatedDb();
    const ledger = createLedger({ db, logger: createLogger('silent') });
    const first = ledger.record(row('a'));
    await flushMicrotasks();
    const later = ['b', 'c', 'd'].map((id) => ledger.record(row(id)));
    await flushMicrotasks();
    expect(writes).toHaveLength(1); // b, c, d wait for a's write to finish
    writes[0]!.finish();
    await first;
    await flushMicrotasks();
    expect(writes).toHaveLength(2);
    expect(writes[1]!.rows.map((r) => r.id)).toEqual(['b', 'c', 'd']);
    writes[1]!.finish();
    await Promise.all(later);
  });

  it('keeps decimals and dates exact in the JSON batch', async () => {
    const { db, writes } = gatedDb();
    const ledger = createLedger({ db, logger: createLogger('silent') });
    const done = ledger.record({ ...row('x'), costUsd: '1234567890.1234567891' });
    await flushMicrotasks();
    expect(writes[0]!.rows[0]).toMatchObject({ costUsd: '1234567890.1234567891', createdAt: '2026-11-24T00:00:00.000Z' });
    writes[0]!.finish();
    await done;
  });

  it('fails closed on the connection: a begin rejects at once (UNAVAILABLE), new begins are refused until a statement succeeds, a finish is retried until written', async () => {
    const calls: string[] = [];
    let up = false;
    const execute = async (sql: string) => {
      calls.push(sql.trimStart().split(/\s/, 1)[0]!);
      if (!up) throw Object.assign(new Error('database down'), { code: 'ECONNREFUSED' });
    };
    const db = { execute, executeDeferred: execute };
    const ledger = createLedger({ db, logger: createLogger('silent') });
    await expect(ledger.begin(row('a'))).rejects.toMatchObject({ code: 'UNAVAILABLE', details: { retryAfterMs: expect.any(Number) } });
    expect(calls).toEqual(['INSERT']);
    expect(() => ledger.assertWritable()).toThrow(expect.objectContaining({ code: 'UNAVAILABLE' }));
    await expect(ledger.begin(row('b'))).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(calls).toEqual(['INSERT']); // refused without a statement
    let finished = false;
    const finish = ledger.finish(row('c')).then(() => (finished = true));
    await vi.waitFor(() => expect(calls.filter((c) => c === 'UPDATE').length).toBeGreaterThanOrEqual(2), { timeout: 3_000 });
    expect(finished).toBe(false);
    expect(ledger.unwritten()).toBe(1);
    up = true;
    await finish;
    expect(ledger.unwritten()).toBe(0);
    expect(() => ledger.assertWritable()).not.toThrow();
    await ledger.begin(row('d'));
  });
});
