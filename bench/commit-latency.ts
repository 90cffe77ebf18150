// `DATABASE_URL=... npx tsx bench/commit-latency.ts [--statements N]`: what one PostgreSQL round
// trip costs on this machine at c=1, the floor under any recorded call's latency. One client runs
// statements back to back: `SELECT 1`, a one-row insert committed durably (the write-ahead's
// kind: it waits for its WAL flush) and the same insert with `synchronous_commit = off` (the
// finish's kind). Prints, per statement, the wall time (p50 and mean), the backend's CPU (from
// /proc/<pid>/schedstat, exact) and the client's own CPU.
import { readFileSync } from 'node:fs';
import pg from 'pg';

const argv = process.argv.slice(2);
const statements = Number(argv.includes('--statements') ? argv[argv.indexOf('--statements') + 1] : 3_000);
if (!process.env.DATABASE_URL) throw new Error('bench/commit-latency.ts measures PostgreSQL: set DATABASE_URL');

/** CPU time a local process has run so far, in µs (exact: the scheduler's own sum). */
const runMicros = (pid: number): number => Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]) / 1_000;

const client = new pg.Client({ connectionString: process.env.DATABASE_URL, application_name: 'switchboard-commit-latency' });
await client.connect();
const table = `commit_latency_${process.pid}`;
try {
  const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  const backend = rows[0]!.pid;
  await client.query(`CREATE TABLE "${table}" (id bigserial PRIMARY KEY, v text)`);
  const kinds = [
    { name: 'SELECT 1', sql: 'SELECT 1', params: [] as string[], synchronousCommit: 'on' },
    { name: 'insert, durable commit', sql: `INSERT INTO "${table}" (v) VALUES ($1)`, params: ['x'], synchronousCommit: 'on' },
    { name: 'insert, synchronous_commit = off', sql: `INSERT INTO "${table}" (v) VALUES ($1)`, params: ['x'], synchronousCommit: 'off' },
  ];
  for (const kind of kinds) {
    await client.query(`SET synchronous_commit = ${kind.synchronousCommit}`);
    for (let i = 0; i < 500; i++) await client.query(kind.sql, kind.params); // warm-up
    const walls: number[] = [];
    const backend0 = runMicros(backend);
    const client0 = process.cpuUsage();
    for (let i = 0; i < statements; i++) {
      const t = performance.now();
      await client.query(kind.sql, kind.params);
      walls.push((performance.now() - t) * 1_000);
    }
    const own = process.cpuUsage(client0);
    walls.sort((a, b) => a - b);
    const mean = walls.reduce((a, b) => a + b, 0) / statements;
    console.log(
      `${kind.name}: wall p50 ${Math.round(walls[statements >> 1]!)} µs, mean ${Math.round(mean)} µs; ` +
        `backend CPU ${Math.round((runMicros(backend) - backend0) / statements)} µs; client CPU ${Math.round((own.user + own.system) / statements)} µs`,
    );
  }
} finally {
  await client.query(`DROP TABLE IF EXISTS "${table}"`);
  await client.end();
}
