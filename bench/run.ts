// `npm run bench`: Switchboard's overhead against the direct upstream, a bare relay and the
// frameworks' own floor, measured in the same run with targets alternated.
// `npm run bench -- --soak 600`: a fixed rate across both APIs; RSS over time; ledger rows = calls.
// `npm run bench -- --scenario long-chat`: a chat turn on a 40,000-message conversation against a
// new conversation's turn (CPU and latency, <= 2x), and RSS over 20 such turns (flat).
//
// Flags: --duration S (measured seconds per target, default 3), --warmup S (default 1),
//        --rounds N (default 2), --concurrency 1,32, --quick (1.5 s, 0.5 s warm-up, 1 round),
//        --scenario generate,stream, --targets REGEX (e.g. 'relay|floor/trpc|switchboard/(trpc|openai)'),
//        --soak S, --rate R (soak calls/s, default 100), --cpu-prof (profile the Switchboard child
//        into bench/results/profiles), --out FILE (default bench/results/latest.json).
// Every server runs as its own Node process; CPU per call is the server process's user+system
// time over the measured window (from /proc) divided by the calls completed in it.
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { startChild, type BenchChild } from './lib/child.ts';
import { issueTargets, printIssueTargets, type BenchRow } from './lib/issue-targets.ts';
import { Caller, closedLoop, percentile, type CallSpec } from './lib/load.ts';
import { PgBackends } from './lib/pg-backends.ts';
import { holdSnapshot, type HoldSnapshot } from './lib/write-ahead-hold.ts';
import { helpRequested } from '../src/platform/cli-help.ts';

const USAGE = `usage: npm run bench [-- options]

Switchboard's overhead against the direct upstream, a bare relay and the frameworks' floor.
  --duration S     measured seconds per target (default 3)    --warmup S   (default 1)
  --rounds N       (default 2)                                 --concurrency 1,32
  --quick          1.5 s, 0.5 s warm-up, 1 round               --scenario generate,stream,stream1
  --targets REGEX  keep only matching targets                  --soak S, --rate R (calls/s)
  --cpu-prof       profile the Switchboard child               --out FILE (default bench/results/latest.json)`;
if (helpRequested(process.argv.slice(2), USAGE)) process.exit(0);

// ---- options ----------------------------------------------------------------------------
const argv = process.argv.slice(2);
const flag = (name: string) => argv.includes(`--${name}`);
const value = (name: string): string | undefined => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const quick = flag('quick');
const durationS = Number(value('duration') ?? (quick ? 1.5 : 3));
const warmupS = Number(value('warmup') ?? (quick ? 0.5 : 1));
const rounds = Number(value('rounds') ?? (quick ? 1 : 2));
const concurrencies = (value('concurrency') ?? '1,32').split(',').map(Number);
const soakS = value('soak') === undefined ? undefined : Number(value('soak'));
const rate = Number(value('rate') ?? 100);
const cpuProf = flag('cpu-prof');
const scenarios = (value('scenario') ?? 'generate,stream,stream1').split(',') as Scenario[];
/** Keep only targets whose name matches (the direct upstream is always kept: it is the reference). */
const targetFilter = value('targets') === undefined ? undefined : new RegExp(value('targets')!);
const resultsDir = fileURLToPath(new URL('./results/', import.meta.url));
const outFile = value('out') ?? `${resultsDir}${value('soak') !== undefined ? 'soak-latest' : (value('scenario') ?? '').includes('long-chat') ? 'long-chat-latest' : 'latest'}.json`;

const MODEL = 'openai/gpt-5.5';
const PROMPT = 'hello from the bench';
/** The simulator streams one chunk per word of "Echo: <prompt>": 1 + 19 = 20 text deltas. */
const STREAM_PROMPT = 'one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen';
export const STREAM_DELTAS = 20;
const GENERATE_QUERY =
  'mutation Generate($input: GenerateInput!) { generate(input: $input) { id text model servedModel api gatewayId finishReason usage { inputTokens outputTokens cachedInputTokens cacheWriteTokens reasoningTokens totalTokens costUsd } cacheStatus upstreamLogId latencyMs timeToFirstTokenMs } }';
const STREAM_QUERY =
  'subscription GenerateStream($input: GenerateInput!) { generateStream(input: $input) { __typename ... on TextDelta { index text } ... on GenerationCompleted { generation { id text model servedModel api gatewayId finishReason usage { inputTokens outputTokens cachedInputTokens cacheWriteTokens reasoningTokens totalTokens costUsd } cacheStatus upstreamLogId latencyMs timeToFirstTokenMs } } } }';

// ---- the servers ----------------------------------------------------------------------
/** stream: 20 deltas; stream1: the same call cut to one delta (maxTokens 1), for CPU per delta. */
type Scenario = 'generate' | 'stream' | 'stream1';
const isStream = (sc: Scenario) => sc !== 'generate';
const promptOf = (sc: Scenario) => (isStream(sc) ? STREAM_PROMPT : PROMPT);
const inputOf = (sc: Scenario) => ({ model: MODEL, prompt: promptOf(sc), ...(sc === 'stream1' && { maxTokens: 1 }) });
interface Target {
  /** direct, relay, floor/trpc, switchboard/graphql, switchboard-pg/trpc, ... */
  name: string;
  server: BenchChild<Record<string, unknown>>;
  /** The PostgreSQL backends serving this server, when it uses PostgreSQL. */
  backends?: PgBackends;
  /** Switchboard: reads its write-ahead hold from /metrics. */
  hold?: (streamed: boolean) => Promise<HoldSnapshot>;
  spec(scenario: Scenario): CallSpec;
}

function upstreamSpec(origin: string, path: string, scenario: Scenario, auth: boolean): CallSpec {
  const stream = isStream(scenario);
  return {
    origin,
    method: 'POST',
    path,
    headers: { 'content-type': 'application/json', ...(auth && { authorization: 'Bearer bench-token' }) },
    body: JSON.stringify({
      model: MODEL,
      messages: [{ role: 'user', content: promptOf(scenario) }],
      ...(stream && { stream: true }),
      ...(scenario === 'stream1' && { max_tokens: 1 }),
    }),
    expect: scenario === 'stream1' ? '"finish_reason":"length"' : '"finish_reason":"stop"',
    stream,
  };
}

/** The drop-in surface: the same Chat Completions body an OpenAI client sends, with a Switchboard key. */
function openaiSpec(origin: string, key: string, scenario: Scenario): CallSpec {
  const spec = upstreamSpec(origin, '/v1/chat/completions', scenario, false);
  return { ...spec, headers: { ...spec.headers, authorization: `Bearer ${key}` } };
}

function trpcSpec(origin: string, key: string | undefined, scenario: Scenario): CallSpec {
  const input = inputOf(scenario);
  if (scenario === 'generate') {
    return {
      origin,
      method: 'POST',
      path: '/trpc/generate',
      headers: { 'content-type': 'application/json', ...(key && { authorization: `Bearer ${key}` }) },
      body: JSON.stringify(input),
      expect: '"result"',
      stream: false,
    };
  }
  // What the client's httpSubscriptionLink sends: GET with the input in the query string, the key in a header.
  const query = new URLSearchParams({ input: JSON.stringify(input) });
  return { origin, method: 'GET', path: `/trpc/generateStream?${query}`, headers: { accept: 'text/event-stream', ...(key && { authorization: `Bearer ${key}` }) }, expect: '"completed"', stream: true };
}

function graphqlSpec(origin: string, key: string | undefined, scenario: Scenario): CallSpec {
  const stream = isStream(scenario);
  return {
    origin,
    method: 'POST',
    path: '/graphql',
    headers: {
      'content-type': 'application/json',
      accept: stream ? 'text/event-stream' : 'application/graphql-response+json, application/json',
      ...(key && { authorization: `Bearer ${key}` }),
    },
    body: JSON.stringify({ query: stream ? STREAM_QUERY : GENERATE_QUERY, variables: { input: inputOf(scenario) } }),
    expect: stream ? 'GenerationCompleted' : '"generate"',
    stream,
  };
}

type SbInfo = { url: string; key: string; sideUrl: string; database: string; pgDatabase?: string; metricsToken?: string };

async function startServers() {
  const sim = await startChild<{ baseUrl: string }>('simulator', 'simulator-server.ts');
  const upstreamEnv = { BENCH_UPSTREAM_BASE_URL: sim.info.baseUrl };
  const relay = await startChild<{ url: string }>('relay', 'relay-server.ts', upstreamEnv);
  const floor = await startChild<{ url: string }>('floor', 'floor-server.ts');
  // One directory per server: the main thread's profile is the largest file in it (tsx's loader thread writes its own).
  const profArgs = (name: string) => (cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${resultsDir}profiles/${name}`] : []);
  // Switchboard as `npm start` runs it: plain node on the production build (dist/).
  const production = { production: true };
  const sb = await startChild<SbInfo>('switchboard', 'switchboard-server.ts', { ...upstreamEnv, DATABASE_URL: undefined }, profArgs('switchboard-embedded'), production);
  const sbPg = process.env.DATABASE_URL
    ? await startChild<SbInfo>('switchboard-pg', 'switchboard-server.ts', { ...upstreamEnv, DATABASE_URL: process.env.DATABASE_URL }, profArgs('switchboard-pg'), production)
    : undefined;
  return { sim, relay, floor, sb, sbPg, all: [sbPg, sb, floor, relay, sim].filter((c): c is BenchChild<any> => c !== undefined) };
}

async function targetsOf(s: Awaited<ReturnType<typeof startServers>>): Promise<Target[]> {
  const simUrl = new URL(s.sim.info.baseUrl);
  const targets: Target[] = [
    { name: 'direct', server: s.sim, spec: (sc) => upstreamSpec(simUrl.origin, `${simUrl.pathname}/accounts/bench/ai/v1/chat/completions`, sc, true) },
    { name: 'relay', server: s.relay, spec: (sc) => upstreamSpec(s.relay.info.url, '/ai/v1/chat/completions', sc, false) },
    { name: 'floor/trpc', server: s.floor, spec: (sc) => trpcSpec(s.floor.info.url, undefined, sc) },
    { name: 'floor/graphql', server: s.floor, spec: (sc) => graphqlSpec(s.floor.info.url, undefined, sc) },
    // The floor with a cheaper framework path (see floor-server.ts); generate only.
    { name: 'floor-jit/graphql', server: s.floor, spec: (sc) => ({ ...graphqlSpec(s.floor.info.url, undefined, sc), path: '/graphql-jit' }) },
    { name: 'floor-direct/trpc', server: s.floor, spec: (sc) => ({ ...trpcSpec(s.floor.info.url, undefined, sc), path: '/trpc-direct/generate' }) },
  ];
  for (const [label, child] of [['switchboard', s.sb], ['switchboard-pg', s.sbPg]] as const) {
    if (!child) continue;
    const backends = child.info.pgDatabase ? await PgBackends.connect(process.env.DATABASE_URL!, child.info.pgDatabase) : undefined;
    const hold = child.info.metricsToken ? (streamed: boolean) => holdSnapshot(child.info.url, child.info.metricsToken!, streamed) : undefined;
    targets.push({ name: `${label}/trpc`, server: child, backends, hold, spec: (sc) => trpcSpec(child.info.url, child.info.key, sc) });
    targets.push({ name: `${label}/graphql`, server: child, backends, hold, spec: (sc) => graphqlSpec(child.info.url, child.info.key, sc) });
    targets.push({ name: `${label}/openai`, server: child, backends, hold, spec: (sc) => openaiSpec(child.info.url, child.info.key, sc) });
  }
  return targets;
}

// ---- the bench ------------------------------------------------------------------------
interface Cell {
  latencies: number[];
  ttfts: number[];
  ok: number;
  errors: number;
  windowMs: number;
  windowCalls: number;
  cpuMicros: number;
  dbCpuMicros: number;
  peakRss: number;
  holdSumS: number;
  holdCount: number;
  wakeups: number;
  durableCommits: number;
  deferredCommits: number;
}

type Row = BenchRow<Scenario>;

const round1 = (n: number, d = 1) => (Number.isFinite(n) ? Math.round(n * 10 ** d) / 10 ** d : n);

async function bench(): Promise<void> {
  const servers = await startServers();
  const targets = (await targetsOf(servers)).filter((t) => t.name === 'direct' || !targetFilter || targetFilter.test(t.name));
  // stream1 exists only to subtract from stream: Switchboard's targets (and direct) at the top concurrency.
  const runs = (sc: Scenario, c: number, t: Target) =>
    t.name.startsWith('floor-') ? sc === 'generate' : sc !== 'stream1' || ((t.name === 'direct' || t.name.startsWith('switchboard')) && c === Math.max(...concurrencies));
  const caller = new Caller(Math.max(...concurrencies));
  const cells = new Map<string, Cell>();
  const keyOf = (sc: Scenario, c: number, t: string) => `${sc}|${c}|${t}`;
  const total = rounds * concurrencies.reduce((n, c) => n + scenarios.reduce((m, sc) => m + targets.filter((t) => runs(sc, c, t)).length, 0), 0);
  let done = 0;
  console.log(`bench: ${targets.map((t) => t.name).join(', ')}; c=${concurrencies.join(',')}; ${rounds} round(s) of ${durationS} s (+${warmupS} s warm-up) per target; ~${Math.ceil((total * (durationS + warmupS)) / 60)} min`);
  try {
    for (let round = 0; round < rounds; round++) {
      for (const concurrency of concurrencies) {
        for (const scenario of scenarios) {
          // Alternate: each round starts the rotation at a different target, and odd rounds run it
          // backwards (so two targets swap places round by round, whatever the number of targets).
          const rotation = targets.map((_, i) => targets[(i + round * 3 + (scenario === 'stream' ? 1 : 0)) % targets.length]!);
          const order = round % 2 === 1 ? rotation.reverse() : rotation;
          for (const target of order) {
            if (!runs(scenario, concurrency, target)) continue;
            let cpuStart = 0;
            let cpuEnd = 0;
            let wakeStart = 0;
            let wakeEnd = 0;
            let peakRss = 0;
            // The backends' CPU is read when pg_stat_activity answers (a millisecond after the edge).
            let dbStart: Promise<Map<number, number>> | undefined;
            let dbEnd: Promise<Map<number, number>> | undefined;
            let holdStart: Promise<HoldSnapshot> | undefined;
            let holdEnd: Promise<HoldSnapshot> | undefined;
            const result = await closedLoop(caller, target.spec(scenario), {
              concurrency,
              warmupMs: warmupS * 1000,
              durationMs: durationS * 1000,
              onWindow: (edge) => {
                if (edge === 'start') {
                  cpuStart = target.server.cpuMicros();
                  wakeStart = target.server.wakeups();
                  dbStart = target.backends?.snapshot();
                  holdStart = target.hold?.(isStream(scenario));
                } else {
                  cpuEnd = target.server.cpuMicros();
                  wakeEnd = target.server.wakeups();
                  dbEnd = target.backends?.snapshot();
                  holdEnd = target.hold?.(isStream(scenario));
                }
              },
              tick: () => (peakRss = Math.max(peakRss, target.server.rssBytes())),
            });
            const dbMicros = dbStart && dbEnd ? PgBackends.between(await dbStart, await dbEnd) : 0;
            const [h0, h1] = holdStart && holdEnd ? await Promise.all([holdStart, holdEnd]) : [];
            const key = keyOf(scenario, concurrency, target.name);
            const cell = cells.get(key) ?? { latencies: [], ttfts: [], ok: 0, errors: 0, windowMs: 0, windowCalls: 0, cpuMicros: 0, dbCpuMicros: 0, peakRss: 0, holdSumS: 0, holdCount: 0, wakeups: 0, durableCommits: 0, deferredCommits: 0 };
            if (h0 && h1) {
              cell.holdSumS += h1.sumS - h0.sumS;
              cell.holdCount += h1.count - h0.count;
              cell.durableCommits += h1.durableCommits - h0.durableCommits;
              cell.deferredCommits += h1.deferredCommits - h0.deferredCommits;
            }
            cell.wakeups += wakeEnd - wakeStart;
            for (const l of result.latencies) cell.latencies.push(l);
            for (const l of result.ttfts) cell.ttfts.push(l);
            cell.ok += result.ok;
            cell.errors += result.errors;
            cell.windowMs += result.windowMs;
            cell.windowCalls += result.windowCalls;
            cell.cpuMicros += cpuEnd - cpuStart;
            cell.dbCpuMicros += dbMicros;
            cell.peakRss = Math.max(cell.peakRss, peakRss);
            cells.set(key, cell);
            done++;
            const cpuPerCall = Math.round((cpuEnd - cpuStart) / Math.max(1, result.windowCalls));
            process.stderr.write(`  [${done}/${total}] ${scenario} c=${concurrency} ${target.name}: ${Math.round((result.windowCalls * 1000) / result.windowMs)} req/s, ${cpuPerCall} µs CPU/call, ${result.errors} errors\n`);
          }
        }
      }
    }
  } finally {
    await caller.close();
    for (const backends of new Set(targets.map((t) => t.backends))) await backends?.close();
    for (const child of servers.all) await child.stop();
  }

  // ---- figures ----
  const rows: Row[] = [];
  for (const concurrency of concurrencies) {
    for (const scenario of scenarios) {
      const direct = cells.get(keyOf(scenario, concurrency, 'direct'));
      if (!direct) continue;
      const directP50 = percentile([...direct.latencies].sort((a, b) => a - b), 50);
      const directTtft = percentile([...direct.ttfts].sort((a, b) => a - b), 50);
      for (const target of targets) {
        const cell = cells.get(keyOf(scenario, concurrency, target.name));
        if (!cell) continue;
        const lat = [...cell.latencies].sort((a, b) => a - b);
        const ttft = [...cell.ttfts].sort((a, b) => a - b);
        const p50 = percentile(lat, 50);
        rows.push({
          scenario,
          concurrency,
          target: target.name,
          calls: cell.ok,
          errors: cell.errors,
          rps: round1((cell.windowCalls * 1000) / cell.windowMs, 0),
          p50Ms: round1(p50, 2),
          p99Ms: round1(percentile(lat, 99), 2),
          addedP50Ms: round1(p50 - directP50, 2),
          cpuUsPerCall: round1(cell.cpuMicros / Math.max(1, cell.windowCalls), 0),
          ...(target.backends && { dbCpuUsPerCall: round1(cell.dbCpuMicros / Math.max(1, cell.windowCalls), 0) }),
          peakRssMb: round1(cell.peakRss / 2 ** 20, 0),
          ...(cell.holdCount > 0 && { writeAheadHoldMs: round1((cell.holdSumS * 1000) / cell.holdCount, 3) }),
          wakeupsPerCall: round1(cell.wakeups / Math.max(1, cell.windowCalls), 2),
          ...(target.hold && {
            durableCommitsPerCall: round1(cell.durableCommits / Math.max(1, cell.windowCalls), 2),
            deferredCommitsPerCall: round1(cell.deferredCommits / Math.max(1, cell.windowCalls), 2),
          }),
          ...(isStream(scenario) && {
            ttftP50Ms: round1(percentile(ttft, 50), 2),
            ttftP99Ms: round1(percentile(ttft, 99), 2),
            ttftAddedP50Ms: round1(percentile(ttft, 50) - directTtft, 2),
          }),
        });
      }
    }
  }
  const find = (sc: Scenario, c: number, t: string) => rows.find((r) => r.scenario === sc && r.concurrency === c && r.target === t);
  const ratios: Array<{ scenario: Scenario; concurrency: number; target: string; cpuVsRelay: number; cpuVsFloor: number; ttftAddedVsRelay?: number; ttftVsRelay?: number }> = [];
  for (const r of rows) {
    if (!r.target.startsWith('switchboard')) continue;
    const relay = find(r.scenario, r.concurrency, 'relay');
    const floor = find(r.scenario, r.concurrency, `floor/${r.target.split('/')[1]}`);
    if (!relay || !floor) continue;
    ratios.push({
      scenario: r.scenario,
      concurrency: r.concurrency,
      target: r.target,
      cpuVsRelay: round1(r.cpuUsPerCall / relay.cpuUsPerCall, 2),
      cpuVsFloor: round1(r.cpuUsPerCall / floor.cpuUsPerCall, 2),
      ...(isStream(r.scenario) && {
        ttftAddedVsRelay: round1(r.ttftAddedP50Ms! / Math.max(0.01, relay.ttftAddedP50Ms!), 2),
        ttftVsRelay: round1(r.ttftP50Ms! / relay.ttftP50Ms!, 2),
      }),
    });
  }

  printTable(rows);
  console.log('\nRatios (Switchboard / baseline, same run):');
  console.table(ratios);
  const checks = targetChecks(rows, ratios);
  console.log('\nChecks:');
  for (const c of checks) console.log(`  ${c.pass ? 'PASS' : 'MISS'}  ${c.what}: ${c.value}`);
  const targetTable = issueTargets(rows, { cMin: Math.min(...concurrencies), cMax: Math.max(...concurrencies), deltas: STREAM_DELTAS, soakFile: `${resultsDir}soak-latest.json` });
  printIssueTargets(targetTable);

  const report = {
    kind: 'bench',
    at: new Date().toISOString(),
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, node: process.version, loadavg: os.loadavg() },
    options: { durationS, warmupS, rounds, concurrencies, model: MODEL, prompt: PROMPT, databases: ['embedded', ...(servers.sbPg ? ['postgresql'] : [])] },
    rows,
    ratios,
    checks,
    targets: targetTable,
  };
  writeResult(report);
}

function targetChecks(rows: Row[], ratios: Array<{ scenario: Scenario; concurrency: number; target: string; cpuVsFloor: number; ttftAddedVsRelay?: number }>) {
  const checks: Array<{ what: string; value: string; pass: boolean }> = [];
  const cMax = Math.max(...concurrencies);
  for (const r of ratios.filter((x) => x.scenario === 'generate' && x.concurrency === cMax)) {
    checks.push({ what: `CPU/call ${r.target} generate c=${cMax} vs framework floor (<= 1.3x)`, value: `${r.cpuVsFloor}x`, pass: r.cpuVsFloor <= 1.3 });
  }
  const cMin = Math.min(...concurrencies);
  for (const r of ratios.filter((x) => x.scenario === 'stream' && x.concurrency === cMin)) {
    checks.push({ what: `TTFT added ${r.target} c=${cMin} vs relay's added TTFT (<= 2x)`, value: `${r.ttftAddedVsRelay}x`, pass: (r.ttftAddedVsRelay ?? Infinity) <= 2 });
  }
  // No batching delay at c=1: Switchboard's added p50 stays within a millisecond or two of the floor's.
  for (const r of rows.filter((x) => x.scenario === 'generate' && x.concurrency === cMin && x.target.startsWith('switchboard'))) {
    const floor = rows.find((x) => x.scenario === 'generate' && x.concurrency === cMin && x.target === `floor/${r.target.split('/')[1]}`);
    const relay = rows.find((x) => x.scenario === 'generate' && x.concurrency === cMin && x.target === 'relay');
    if (!floor || !relay) continue;
    const extra = r.p50Ms - floor.p50Ms - relay.addedP50Ms;
    checks.push({ what: `no timer wait at c=${cMin}: ${r.target} p50 − floor p50 − relay's added p50 (< 2 ms)`, value: `${round1(extra, 2)} ms`, pass: extra < 2 });
  }
  const errors = rows.reduce((n, r) => n + r.errors, 0);
  checks.push({ what: 'no failed calls', value: String(errors), pass: errors === 0 });
  return checks;
}

function printTable(rows: Row[]): void {
  console.log('');
  console.table(
    rows.map((r) => ({
      scenario: r.scenario,
      c: r.concurrency,
      target: r.target,
      'req/s': r.rps,
      'p50 ms': r.p50Ms,
      'p99 ms': r.p99Ms,
      '+p50 ms': r.addedP50Ms,
      'CPU µs/call': r.cpuUsPerCall,
      '+PG µs/call': r.dbCpuUsPerCall ?? '',
      'wake-ups/call': r.wakeupsPerCall ?? '',
      'durable commits/call': r.durableCommitsPerCall ?? '',
      'peak RSS MB': r.peakRssMb,
      'TTFT p50': r.ttftP50Ms ?? '',
      '+TTFT p50': r.ttftAddedP50Ms ?? '',
      errors: r.errors,
    })),
  );
}

function writeResult(report: unknown): void {
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(outFile, JSON.stringify(report, null, 2) + '\n');
  console.log(`\nwrote ${outFile}`);
}

// ---- the soak -------------------------------------------------------------------------
async function soak(seconds: number): Promise<void> {
  const sim = await startChild<{ baseUrl: string }>('simulator', 'simulator-server.ts');
  const pg = Boolean(process.env.DATABASE_URL);
  const sb = await startChild<SbInfo>('switchboard', 'switchboard-server.ts', { BENCH_UPSTREAM_BASE_URL: sim.info.baseUrl, DATABASE_URL: process.env.DATABASE_URL });
  const specs = [
    trpcSpec(sb.info.url, sb.info.key, 'generate'),
    graphqlSpec(sb.info.url, sb.info.key, 'generate'),
    trpcSpec(sb.info.url, sb.info.key, 'stream'),
    graphqlSpec(sb.info.url, sb.info.key, 'stream'),
  ];
  const caller = new Caller(64);
  const samples: Array<{ t: number; rssMb: number; calls: number }> = [];
  let issued = 0;
  let ok = 0;
  let failed = 0;
  const inFlight = new Set<Promise<void>>();
  const latencies: number[] = [];
  const failures: string[] = [];
  console.log(`soak: ${seconds} s at ${rate} calls/s across tRPC and GraphQL (generate and generateStream), ${sb.info.database} database`);
  const t0 = performance.now();
  const sample = () => {
    const s = { t: Math.round((performance.now() - t0) / 1000), rssMb: round1(sb.rssBytes() / 2 ** 20, 1), calls: ok + failed };
    samples.push(s);
    console.log(`  t=${s.t}s rss=${s.rssMb} MB calls=${s.calls} in flight=${inFlight.size}`);
  };
  sample();
  const sampler = setInterval(sample, 10_000);
  try {
    const interval = 1000 / rate;
    while (performance.now() - t0 < seconds * 1000) {
      const due = t0 + issued * interval;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      const spec = specs[issued % specs.length]!;
      issued++;
      const p = caller.call(spec).then((r) => {
        if (r.ok) {
          ok++;
          latencies.push(r.latencyMs);
        } else {
          failed++;
          if (failures.length < 5) failures.push(`${spec.method} ${spec.path.split('?')[0]}: ${r.failure}`);
        }
        inFlight.delete(p);
      });
      inFlight.add(p);
    }
    await Promise.all(inFlight);
    clearInterval(sampler);
    sample();
    const ledger = (await (await fetch(`${sb.info.sideUrl}/ledger-count`)).json()) as { count: number; attempts: number; pending: number };
    const count = ledger.count;
    await caller.close();

    // Flat memory: compare the middle third's and the last third's mean RSS (the first third is warm-up).
    const third = Math.max(1, Math.floor(samples.length / 3));
    const mean = (xs: typeof samples) => xs.reduce((n, s) => n + s.rssMb, 0) / Math.max(1, xs.length);
    const middle = mean(samples.slice(third, 2 * third));
    const last = mean(samples.slice(2 * third));
    const growth = (last - middle) / middle;
    latencies.sort((a, b) => a - b);
    const checks = [
      // A zero-fault upstream needs no retries: one attempt per call, each its own (callId, attempt) row, none left PENDING.
      {
        what: 'ledger rows = attempts',
        value: `${count} rows, ${ledger.attempts} distinct attempts, ${ledger.pending} pending, ${issued} calls`,
        pass: count === issued && ledger.attempts === count && ledger.pending === 0,
      },
      { what: 'no failed calls', value: String(failed), pass: failed === 0 },
      { what: 'RSS flat (last third vs middle third mean, < 10%)', value: `${round1(middle, 1)} -> ${round1(last, 1)} MB (${round1(growth * 100, 1)}%)`, pass: growth < 0.1 },
    ];
    console.log(`\nlatency p50 ${round1(percentile(latencies, 50), 2)} ms, p99 ${round1(percentile(latencies, 99), 2)} ms`);
    for (const c of checks) console.log(`  ${c.pass ? 'PASS' : 'MISS'}  ${c.what}: ${c.value}`);
    for (const f of failures) console.log(`  failed: ${f}`);
    writeResult({
      kind: 'soak',
      at: new Date().toISOString(),
      machine: { cpus: os.cpus().length, node: process.version },
      options: { seconds, rate, database: pg ? 'postgresql' : 'embedded' },
      calls: issued,
      ok,
      failed,
      ledgerRows: count,
      ledgerAttempts: ledger.attempts,
      ledgerPending: ledger.pending,
      p50Ms: round1(percentile(latencies, 50), 2),
      p99Ms: round1(percentile(latencies, 99), 2),
      rss: samples,
      checks,
      failures,
    });
    if (checks.some((c) => !c.pass)) process.exitCode = 1;
  } finally {
    clearInterval(sampler);
    await sb.stop();
    await sim.stop();
  }
}

// ---- long conversations ----------------------------------------------------------------
/**
 * 20 turns on a conversation of 40,000 messages, alternated with 20 turns that start a new
 * conversation (after 3 warm-up turns of each), one at a time. Per turn: latency and the
 * server's CPU; RSS after every long turn. MAX_CONTEXT_TOKENS is --context (default 4000), so
 * the replay is the context's, whatever the conversation's length.
 */
async function longChat(): Promise<void> {
  const messages = Number(value('messages') ?? 40_000);
  const turns = Number(value('turns') ?? 20);
  const context = value('context') ?? '4000';
  const sim = await startChild<{ baseUrl: string }>('simulator', 'simulator-server.ts');
  const sb = await startChild<SbInfo & { longConversationId: string }>('switchboard', 'switchboard-server.ts', {
    BENCH_UPSTREAM_BASE_URL: sim.info.baseUrl,
    DATABASE_URL: process.env.DATABASE_URL,
    BENCH_LONG_CONVERSATION: String(messages),
    BENCH_MAX_CONTEXT_TOKENS: context,
  });
  const turn = async (conversationId: string | undefined) => {
    const cpu0 = sb.cpuMicros();
    const t0 = performance.now();
    const res = await fetch(`${sb.info.url}/trpc/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${sb.info.key}` },
      body: JSON.stringify({ model: MODEL, message: 'and what comes next?', ...(conversationId && { conversationId }) }),
    });
    const body = await res.text();
    if (res.status !== 200) throw new Error(`chat turn failed: ${res.status} ${body.slice(0, 300)}`);
    return { ms: performance.now() - t0, cpuUs: sb.cpuMicros() - cpu0 };
  };
  const median = (xs: number[]) => percentile([...xs].sort((a, b) => a - b), 50);
  try {
    console.log(`long-chat: ${sb.info.database} database, a ${messages}-message conversation, MAX_CONTEXT_TOKENS ${context}, ${turns} turns each`);
    for (let i = 0; i < 3; i++) {
      await turn(sb.info.longConversationId);
      await turn(undefined);
    }
    const long: Array<{ ms: number; cpuUs: number }> = [];
    const fresh: Array<{ ms: number; cpuUs: number }> = [];
    const rss: number[] = [];
    for (let i = 0; i < turns; i++) {
      long.push(await turn(sb.info.longConversationId));
      rss.push(round1(sb.rssBytes() / 2 ** 20, 1));
      fresh.push(await turn(undefined));
    }
    const row = (xs: Array<{ ms: number; cpuUs: number }>) => ({ p50Ms: round1(median(xs.map((x) => x.ms)), 2), cpuUsPerTurn: round1(median(xs.map((x) => x.cpuUs)), 0) });
    const longRow = row(long);
    const freshRow = row(fresh);
    const cpuRatio = round1(longRow.cpuUsPerTurn / Math.max(1, freshRow.cpuUsPerTurn), 2);
    const latencyRatio = round1(longRow.p50Ms / freshRow.p50Ms, 2);
    const half = Math.floor(rss.length / 2);
    const mean = (xs: number[]) => xs.reduce((n, x) => n + x, 0) / Math.max(1, xs.length);
    const growth = (mean(rss.slice(half)) - mean(rss.slice(0, half))) / mean(rss.slice(0, half));
    console.table([{ turn: `long (${messages} messages)`, ...longRow }, { turn: 'new conversation', ...freshRow }]);
    console.log(`RSS after each long turn (MB): ${rss.join(' ')}`);
    const checks = [
      { what: 'CPU per turn, long / new (<= 2x)', value: `${cpuRatio}x`, pass: cpuRatio <= 2 },
      { what: 'p50 latency per turn, long / new (<= 2x)', value: `${latencyRatio}x`, pass: latencyRatio <= 2 },
      { what: `RSS flat over ${turns} long turns (second half vs first half mean, < 10%)`, value: `${round1(growth * 100, 1)}%`, pass: growth < 0.1 },
    ];
    for (const c of checks) console.log(`  ${c.pass ? 'PASS' : 'MISS'}  ${c.what}: ${c.value}`);
    writeResult({ kind: 'long-chat', at: new Date().toISOString(), machine: { cpus: os.cpus().length, node: process.version, loadavg: os.loadavg() }, options: { messages, turns, maxContextTokens: Number(context), database: sb.info.database }, long: longRow, fresh: freshRow, cpuRatio, latencyRatio, rssMb: rss, checks });
    if (checks.some((c) => !c.pass)) process.exitCode = 1;
  } finally {
    await sb.stop();
    await sim.stop();
  }
}

if (soakS !== undefined) await soak(soakS);
else if (scenarios.includes('long-chat' as Scenario)) await longChat();
else await bench();
