// The goal table ("the price of a recorded call"), computed from one bench run's rows: each row
// with the figure measured before (bench-2026-11-26-stop20.json), the goal, this run's value and a verdict.
import { existsSync, readFileSync } from 'node:fs';

export interface BenchRow<S extends string = string> {
  scenario: S;
  concurrency: number;
  target: string;
  calls: number;
  errors: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  addedP50Ms: number;
  /** The server process (all its threads). */
  cpuUsPerCall: number;
  /** Its PostgreSQL backends (PostgreSQL targets only). */
  dbCpuUsPerCall?: number;
  peakRssMb: number;
  ttftP50Ms?: number;
  ttftP99Ms?: number;
  ttftAddedP50Ms?: number;
  /** Switchboard: mean time a ready reply (first token, when streamed) waited for its write-ahead row. */
  writeAheadHoldMs?: number;
  /** Times the server's event loop was woken, per call (voluntary context switches of its main thread). */
  wakeupsPerCall?: number;
  /** Switchboard: ledger commits per call that waited for their WAL flush, and that did not. */
  durableCommitsPerCall?: number;
  deferredCommitsPerCall?: number;
}

export interface TargetRow {
  what: string;
  today: string;
  target: string;
  /** This run, per API (tRPC / GraphQL), or why there is no figure. */
  measured: string;
  pass: boolean | null;
}

const r2 = (n: number) => Math.round(n * 100) / 100;
const APIS = ['trpc', 'graphql'] as const;

export function issueTargets(rows: BenchRow[], o: { cMin: number; cMax: number; deltas: number; soakFile: string }): TargetRow[] {
  const get = (scenario: string, c: number, target: string) => rows.find((r) => r.scenario === scenario && r.concurrency === c && r.target === target);
  const withDb = (r: BenchRow) => r.cpuUsPerCall + (r.dbCpuUsPerCall ?? 0);
  /** One figure per API, joined "tRPC / GraphQL"; null when a row is missing. */
  const perApi = (f: (api: (typeof APIS)[number]) => number | undefined) => {
    const values = APIS.map(f);
    return values.every((v) => v !== undefined && Number.isFinite(v)) ? (values as number[]) : null;
  };
  const row = (what: string, today: string, target: string, values: number[] | null, fmt: (v: number) => string, ok: (v: number) => boolean, missing = 'not measured in this run (needs DATABASE_URL)'): TargetRow => ({
    what,
    today,
    target,
    measured: values ? values.map(fmt).join(' / ') : missing,
    pass: values ? values.every(ok) : null,
  });

  const cpuVsFloor = perApi((api) => {
    const sb = get('generate', o.cMax, `switchboard-pg/${api}`);
    const floor = get('generate', o.cMax, `floor/${api}`);
    return sb && floor ? withDb(sb) / floor.cpuUsPerCall : undefined;
  });
  const serverOnly = perApi((api) => {
    const sb = get('generate', o.cMax, `switchboard-pg/${api}`);
    const floor = get('generate', o.cMax, `floor/${api}`);
    return sb && floor ? sb.cpuUsPerCall / floor.cpuUsPerCall : undefined;
  });
  const addedC1 = perApi((api) => get('generate', o.cMin, `switchboard-pg/${api}`)?.addedP50Ms);
  const perDelta = (db: string) =>
    perApi((api) => {
      const many = get('stream', o.cMax, `${db}/${api}`);
      const one = get('stream1', o.cMax, `${db}/${api}`);
      return many && one ? (withDb(many) - withDb(one)) / (o.deltas - 1) : undefined;
    });
  const ttft = perApi((api) => {
    const sb = get('stream', o.cMin, `switchboard-pg/${api}`);
    const relay = get('stream', o.cMin, 'relay');
    return sb?.ttftAddedP50Ms !== undefined && relay?.ttftAddedP50Ms !== undefined ? sb.ttftAddedP50Ms / Math.max(0.01, relay.ttftAddedP50Ms) : undefined;
  });
  const embedded = perApi((api) => {
    const e = get('generate', o.cMax, `switchboard/${api}`);
    const p = get('generate', o.cMax, `switchboard-pg/${api}`);
    return e && p ? e.rps / p.rps : undefined;
  });
  const hold = (scenario: string) => perApi((api) => get(scenario, o.cMin, `switchboard-pg/${api}`)?.writeAheadHoldMs);
  const rss = perApi((api) => {
    const all = rows.filter((r) => r.concurrency === o.cMax && r.target === `switchboard-pg/${api}`);
    return all.length ? Math.max(...all.map((r) => r.peakRssMb)) : undefined;
  });

  const dbC32 = perApi((api) => get('generate', o.cMax, `switchboard-pg/${api}`)?.dbCpuUsPerCall);
  const durableC1 = perApi((api) => get('generate', o.cMin, `switchboard-pg/${api}`)?.durableCommitsPerCall);
  const wakeC1 = (target: string) => get('generate', o.cMin, target)?.wakeupsPerCall;
  const wakeups = perApi((api) => wakeC1(`switchboard-pg/${api}`));
  const floorWakeups = perApi((api) => wakeC1(`floor/${api}`));

  return [
    {
      ...row('c=32 CPU per call, server + its PostgreSQL backends, vs the framework floor', '1.78× / 1.69× (server only 1.4× / 1.33×)', '≤ 1.3×', cpuVsFloor, (v) => `${r2(v)}×`, (v) => v <= 1.3),
      ...(serverOnly && { measured: `${cpuVsFloor!.map((v) => `${r2(v)}×`).join(' / ')} (server only ${serverOnly.map((v) => `${r2(v)}×`).join(' / ')})` }),
    },
    row('c=32 PostgreSQL backend CPU per call (half the database work)', '123 µs / 132 µs', '≤ 62 µs / 66 µs', dbC32, (v) => `${Math.round(v)} µs`, (v) => v <= 66),
    row('c=1 generate p50 added over direct, PostgreSQL', '+1.39 ms / +1.45 ms', '≤ +0.6 ms', addedC1, (v) => `+${r2(v)} ms`, (v) => v <= 0.6),
    row("c=1 stream: added time to first token vs the relay's, PostgreSQL", '10.0× / 6.9×', '≤ 2×', ttft, (v) => `${r2(v)}×`, (v) => v <= 2),
    row('peak RSS, PostgreSQL, c=32', '427 MB / 452 MB', '≤ 250 MB', rss, (v) => `${v} MB`, (v) => v <= 250),
    row('c=1 generate: durable commits per call (switchboard_ledger_commits_total)', '2', '1', durableC1, (v) => `${r2(v)}`, (v) => v <= 1.05),
    {
      ...row('c=1 generate: event-loop wake-ups per call (the floor\'s in brackets)', '4–5', 'fewer', wakeups, (v) => `${r2(v)}`, () => true),
      ...(wakeups && floorWakeups && { measured: `${wakeups.map(r2).join(' / ')} (floor ${floorWakeups.map(r2).join(' / ')})` }),
      pass: null,
    },
    { what: 'CPU per call vs Portkey 1.15', today: 'c=32: 2.1× / 2.6× less; c=1: 1.5–1.6× more', target: '≥ 3× less at c=32, less at c=1', measured: 'not in the project bench (Portkey runs outside it)', pass: null },
    row('CPU per streamed delta, PostgreSQL (server + backends; 20-delta minus 1-delta stream, ÷ 19)', '26 µs / 11 µs', '≤ 40 µs', perDelta('switchboard-pg'), (v) => `${Math.round(v)} µs`, (v) => v <= 40),
    row('embedded throughput vs PostgreSQL mode, c=32 generate', '74% / 73%', '≥ 70%', embedded, (v) => `${Math.round(v * 100)}%`, (v) => v >= 0.7),
    soakRow(o.soakFile),
    row('the write-ahead\'s hold on time to first token, c=1, PostgreSQL (mean; switchboard_write_ahead_hold_seconds)', '0.17 ms / 0.15 ms', '≤ 0.3 ms', hold('stream'), (v) => `${r2(v)} ms`, (v) => v <= 0.3),
    { ...row('the write-ahead\'s hold on a generate reply, c=1, PostgreSQL (mean)', '0.07 ms / 0.12 ms', 'none (for reference)', hold('generate'), (v) => `${r2(v)} ms`, () => true), pass: null },
  ];
}

/** The soak runs on its own (`--soak 600`); its latest result file is quoted with its date. */
function soakRow(file: string): TargetRow {
  const base = { what: '10-minute soak', today: 'flat, rows = calls', target: 'flat, rows = attempts (write-ahead included)' };
  if (!existsSync(file)) return { ...base, measured: 'no soak result yet (npm run bench -- --soak 600)', pass: null };
  const soak = JSON.parse(readFileSync(file, 'utf8')) as { at: string; options: { seconds: number; database: string }; checks: Array<{ what: string; value: string; pass: boolean }> };
  return {
    ...base,
    measured: `${soak.options.seconds} s ${soak.options.database} at ${soak.at.slice(0, 16)}: ${soak.checks.map((c) => `${c.what}: ${c.value}`).join('; ')}`,
    pass: soak.checks.every((c) => c.pass),
  };
}

export function printIssueTargets(rows: TargetRow[]): void {
  console.log('\nGoals (the price of a recorded call), this run:');
  for (const r of rows) {
    const verdict = r.pass === null ? '----' : r.pass ? 'MET ' : 'MISS';
    console.log(`  ${verdict}  ${r.what}\n          today ${r.today}; target ${r.target}; now ${r.measured}`);
  }
}
