// The target table of issue 17 ("Close to the limit"), computed from one bench run's rows: each
// row with the figure the issue quoted as "today", the target, this run's value and a verdict.
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

  return [
    {
      ...row('c=32 CPU per call, server + its PostgreSQL backends, vs the framework floor', '~1.9× (1.76–1.81× server only)', '≤ 1.3×', cpuVsFloor, (v) => `${r2(v)}×`, (v) => v <= 1.3),
      ...(serverOnly && { measured: `${cpuVsFloor!.map((v) => `${r2(v)}×`).join(' / ')} (server only ${serverOnly.map((v) => `${r2(v)}×`).join(' / ')})` }),
    },
    { what: 'c=32 CPU per call vs Portkey', today: '0.52–0.56×', target: '≤ 0.4×', measured: 'not in the project bench (Portkey runs outside it)', pass: null },
    row('c=1 generate p50 added over direct, PostgreSQL', '+1.1–1.2 ms', '≤ +0.6 ms', addedC1, (v) => `+${r2(v)} ms`, (v) => v <= 0.6),
    row('CPU per streamed delta, PostgreSQL (server + backends; 20-delta minus 1-delta stream, ÷ 19)', '~150–200 µs', '≤ 40 µs', perDelta('switchboard-pg'), (v) => `${Math.round(v)} µs`, (v) => v <= 40),
    row('CPU per streamed delta, embedded', '–', '≤ 40 µs', perDelta('switchboard'), (v) => `${Math.round(v)} µs`, (v) => v <= 40, 'not measured in this run'),
    row('added time to first token vs the relay\'s, c=1, PostgreSQL', '3.5–5.6×', '≤ 2×', ttft, (v) => `${r2(v)}×`, (v) => v <= 2),
    row('embedded throughput vs PostgreSQL mode, c=32 generate', '40–46%', '≥ 70%', embedded, (v) => `${Math.round(v * 100)}%`, (v) => v >= 0.7),
    row('peak RSS, PostgreSQL, c=32', '500–550 MB', '≤ 300 MB', rss, (v) => `${v} MB`, (v) => v <= 300),
    soakRow(o.soakFile),
    // Issue 10 ("an airtight ledger"): what the write-ahead may cost.
    row('issue 10: c=32 CPU per call vs the framework floor, PostgreSQL, server only', '1.8×', '≤ 1.8×', serverOnly, (v) => `${r2(v)}×`, (v) => v <= 1.8),
    row('issue 10: the write-ahead\'s hold on time to first token, c=1, PostgreSQL (mean; switchboard_write_ahead_hold_seconds)', '–', '≤ 0.3 ms', hold('stream'), (v) => `${r2(v)} ms`, (v) => v <= 0.3),
    { ...row('the write-ahead\'s hold on a generate reply, c=1, PostgreSQL (mean)', '–', 'none (for reference)', hold('generate'), (v) => `${r2(v)} ms`, () => true), pass: null },
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
  console.log('\nIssue 17 targets, and issue 10\'s write-ahead rows (this run):');
  for (const r of rows) {
    const verdict = r.pass === null ? '----' : r.pass ? 'MET ' : 'MISS';
    console.log(`  ${verdict}  ${r.what}\n          today ${r.today}; target ${r.target}; now ${r.measured}`);
  }
}
