// npm run bench:fast-paths: the A/B that decides whether each fast path stays. Two Switchboard
// servers on PostgreSQL (fast paths on, and off: yoga's and tRPC's own handlers), one simulator
// upstream; `generate` at c=32 over tRPC and over GraphQL, alternated: each round measures every
// (API, variant) pair, the order reversed every other round. CPU per call = the server process's
// user+system time over the measured window / calls completed in it. A fast path stays only where
// it saves >= 10 % of that CPU.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { helpRequested } from '../src/platform/cli-help.ts';
import { startChild } from './lib/child.ts';
import { Caller, closedLoop, type CallSpec } from './lib/load.ts';

const USAGE = `usage: npm run bench:fast-paths [-- --rounds N] [--duration S]

Alternated A/B of the GraphQL and tRPC fast paths (on / off) at c=32 on PostgreSQL
(DATABASE_URL, default postgresql://postgres@127.0.0.1:5432/postgres): CPU per call.`;
if (helpRequested(process.argv.slice(2), USAGE)) process.exit(0);

const argv = process.argv.slice(2);
const value = (name: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const ROUNDS = Number(value('rounds') ?? 4);
const DURATION_S = Number(value('duration') ?? 3);
const CONCURRENCY = 32;
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const INPUT = { model: 'openai/gpt-5.5', prompt: 'hello from the bench' };

type SbInfo = { url: string; key: string };
const sim = await startChild<{ baseUrl: string }>('simulator', 'simulator-server.ts');
const variants = {
  on: await startChild<SbInfo>('fast-on', 'switchboard-server.ts', { BENCH_UPSTREAM_BASE_URL: sim.info.baseUrl, DATABASE_URL }),
  off: await startChild<SbInfo>('fast-off', 'switchboard-server.ts', { BENCH_UPSTREAM_BASE_URL: sim.info.baseUrl, DATABASE_URL, BENCH_FAST_PATHS: 'false' }),
};

function spec(api: 'trpc' | 'graphql', info: SbInfo): CallSpec {
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${info.key}` };
  return api === 'trpc'
    ? { origin: info.url, method: 'POST', path: '/trpc/generate', headers, body: JSON.stringify(INPUT), expect: '"result"', stream: false }
    : {
        origin: info.url,
        method: 'POST',
        path: '/graphql',
        headers: { ...headers, accept: 'application/graphql-response+json, application/json' },
        body: JSON.stringify({ query: 'mutation($input: GenerateInput!) { generate(input: $input) { id text usage { totalTokens costUsd } } }', variables: { input: INPUT } }),
        expect: '"generate"',
        stream: false,
      };
}

const caller = new Caller(CONCURRENCY);
const perCall: Record<string, number[]> = {};
for (let round = 0; round < ROUNDS; round++) {
  const order = (['on', 'off'] as const).map((_, i) => (['on', 'off'] as const)[(i + round) % 2]!);
  for (const api of ['trpc', 'graphql'] as const) {
    for (const variant of order) {
      const server = variants[variant];
      let cpuStart = 0;
      let cpuEnd = 0;
      const result = await closedLoop(caller, spec(api, server.info), {
        concurrency: CONCURRENCY,
        warmupMs: 1_000,
        durationMs: DURATION_S * 1_000,
        onWindow: (edge) => (edge === 'start' ? (cpuStart = server.cpuMicros()) : (cpuEnd = server.cpuMicros())),
        tick: () => {},
      });
      if (result.errors > 0 || result.windowCalls === 0) throw new Error(`${api}/${variant}: ${result.errors} failed, ${result.windowCalls} completed in the window`);
      (perCall[`${api}/${variant}`] ??= []).push((cpuEnd - cpuStart) / result.windowCalls);
      process.stderr.write(`round ${round + 1} ${api}/${variant}: ${((cpuEnd - cpuStart) / result.windowCalls).toFixed(0)} µs CPU per call\n`);
    }
  }
}
await caller.close();
for (const child of [variants.on, variants.off, sim]) await child.stop();

const mean = (xs: number[]) => xs.reduce((a, x) => a + x, 0) / xs.length;
const lines = [`fast-path A/B, c=${CONCURRENCY}, ${ROUNDS} rounds x ${DURATION_S} s each way, PostgreSQL, ${new Date().toISOString()}`];
for (const api of ['trpc', 'graphql'] as const) {
  const on = mean(perCall[`${api}/on`]!);
  const off = mean(perCall[`${api}/off`]!);
  const saving = 1 - on / off;
  lines.push(
    `${api}: on ${on.toFixed(0)} µs/call [${perCall[`${api}/on`]!.map((x) => x.toFixed(0)).join(', ')}], off ${off.toFixed(0)} µs/call [${perCall[`${api}/off`]!.map((x) => x.toFixed(0)).join(', ')}]: ` +
      `the fast path saves ${(saving * 100).toFixed(1)} % -> ${saving >= 0.1 ? 'keep' : 'remove'}`,
  );
}
const text = lines.join('\n');
process.stdout.write(`${text}\n`);
writeFileSync(fileURLToPath(new URL(`./results/fast-path-ab-${new Date().toISOString().slice(0, 10)}.txt`, import.meta.url)), `${text}\n`);
