// Opening, pinging and closing: failures are fast and named, close() really lets go.
import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createServer, Socket as NetSocket } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dbErrorKind, openDatabase, readMigrations } from '../../src/db/index.ts';
import type { Database } from '../../src/db/index.ts';
import { LOCK_FILE } from '../../src/db/pglite-lock.ts';
import { LEDGER_CONNECTION_NAME } from '../../src/db/postgres.ts';
import { freshDatabase } from '../helpers/database.ts';
import type { FreshDatabase } from '../helpers/database.ts';

const usesPostgres = Boolean(process.env.DATABASE_URL);

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

async function closedPort(): Promise<number> {
  const server = createServer();
  const port = await listen(server);
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A TCP proxy to PostgreSQL that can start swallowing traffic or refusing connections. */
async function startProxy(target: URL) {
  const pairs = new Set<[Socket, Socket | undefined]>();
  let mode: 'forward' | 'blackhole' = 'forward';
  const server = createServer((client) => {
    client.on('error', () => undefined);
    if (mode === 'blackhole') {
      pairs.add([client, undefined]); // accept, never answer
      return;
    }
    const upstream = new NetSocket();
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.connect(Number(target.port || 5432), target.hostname, () => client.pipe(upstream).pipe(client));
  });
  const port = await listen(server);
  const url = new URL(target);
  url.port = String(port);
  return {
    url: url.toString(),
    /** Open connections stay open but nothing passes any more; new ones are accepted and ignored. */
    blackhole() {
      mode = 'blackhole';
      for (const [client, upstream] of pairs) {
        client.unpipe();
        upstream?.unpipe();
      }
    },
    /** Every connection drops, new ones are refused. */
    async stop() {
      for (const [client, upstream] of pairs) {
        client.destroy();
        upstream?.destroy();
      }
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('unreachable PostgreSQL', () => {
  it('fails to open fast on a closed port, as a connection error', async () => {
    const port = await closedPort();
    const started = Date.now();
    const opening = openDatabase({ databaseUrl: `postgresql://postgres@127.0.0.1:${port}/x`, dataDir: 'memory://' });
    await expect(opening).rejects.toSatisfy((e) => dbErrorKind(e) === 'connection');
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('fails to open within the connect timeout when the server never answers', async () => {
    const held = new Set<Socket>();
    const silent = createServer((socket) => held.add(socket));
    const port = await listen(silent);
    try {
      const started = Date.now();
      const opening = openDatabase({ databaseUrl: `postgresql://postgres@127.0.0.1:${port}/x`, dataDir: 'memory://' });
      await expect(opening).rejects.toThrow();
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      for (const socket of held) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});

describe.runIf(usesPostgres)('ping on PostgreSQL', () => {
  let fresh: FreshDatabase;
  beforeEach(async () => {
    fresh = await freshDatabase();
  });
  afterEach(() => fresh.cleanup());

  it('answers while the server does, then throws without hanging when it stops answering or goes away', async () => {
    const proxy = await startProxy(new URL(fresh.databaseUrl ?? ''));
    const db = await openDatabase({ databaseUrl: proxy.url, dataDir: fresh.dataDir });
    try {
      await db.ping();

      proxy.blackhole();
      let started = Date.now();
      await expect(db.ping()).rejects.toThrow(/did not answer within 2000 ms/);
      expect(Date.now() - started).toBeLessThan(4_000);

      await proxy.stop();
      started = Date.now();
      await expect(db.ping()).rejects.toThrow();
      expect(Date.now() - started).toBeLessThan(4_000);
    } finally {
      await db.close();
      await proxy.stop().catch(() => undefined);
    }
  });

  it("replaces the ledger's own connection when it is lost: the next write opens a new one", async () => {
    const db = await openDatabase({ databaseUrl: fresh.databaseUrl, dataDir: fresh.dataDir });
    const backends = () =>
      db.prisma.$queryRawUnsafe<Array<{ pid: number }>>(`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = '${LEDGER_CONNECTION_NAME}'`);
    try {
      await db.execute('CREATE TABLE ledger_conn_probe (n int)', []);
      const [first] = await backends();
      expect(first).toBeDefined();
      await db.prisma.$queryRawUnsafe(`SELECT pg_terminate_backend(${first!.pid})`);
      // The lost connection fails at most the write that was on it; a later one goes through a new connection.
      await db.execute('INSERT INTO ledger_conn_probe VALUES ($1)', [1]).catch((e: unknown) => expect(dbErrorKind(e)).not.toBe('other'));
      await db.execute('INSERT INTO ledger_conn_probe VALUES ($1)', [2]);
      const now = await backends();
      expect(now).toHaveLength(1);
      expect(now[0]!.pid).not.toBe(first!.pid);
      const [max] = await db.prisma.$queryRawUnsafe<Array<{ n: number }>>('SELECT max(n)::int AS n FROM ledger_conn_probe');
      expect(max?.n).toBe(2);
    } finally {
      await db.close();
    }
  });

  it('lets concurrent openers of one database migrate it once (advisory lock)', async () => {
    const logs: string[] = [];
    const opts = { databaseUrl: fresh.databaseUrl, dataDir: fresh.dataDir, log: (m: string) => logs.push(m) };
    const dbs = await Promise.all([openDatabase(opts), openDatabase(opts), openDatabase(opts)]);
    try {
      // each migration applied exactly once, by whichever opener got the lock first
      const applied = logs.filter((m) => m.includes('applied migration'));
      expect(applied).toHaveLength(readMigrations().length);
      expect(new Set(applied).size).toBe(applied.length);
    } finally {
      await Promise.all(dbs.map((db) => db.close()));
    }
  });
});

describe('close', () => {
  let fresh: FreshDatabase;
  beforeEach(async () => {
    fresh = await freshDatabase();
  });
  afterEach(() => fresh.cleanup());

  it('lets the process exit by itself', async () => {
    const script = join(import.meta.dirname, 'fixtures', 'open-and-close.ts');
    const run = promisify(execFile)(process.execPath, ['--import', 'tsx', script, fresh.dataDir, fresh.databaseUrl ?? ''], {
      timeout: 30_000,
    });
    const { stdout } = await run;
    expect(stdout).toContain('closed');
  });

  it('is idempotent, and ping fails after it', async () => {
    const db = await openDatabase(fresh);
    await db.ping();
    await Promise.all([db.close(), db.close()]);
    await expect(db.ping()).rejects.toThrow();
  });
});

describe.skipIf(usesPostgres)('PGlite data dir', () => {
  let fresh: FreshDatabase;
  const open: Database[] = [];
  beforeEach(async () => {
    fresh = await freshDatabase();
  });
  afterEach(async () => {
    for (const db of open.splice(0)) await db.close();
    await fresh.cleanup();
  });

  it('refuses a second opener of the same directory, and reopens after close', async () => {
    const first = await openDatabase({ dataDir: fresh.dataDir });
    await expect(openDatabase({ dataDir: fresh.dataDir })).rejects.toThrow(/already open in this process/);
    await first.prisma.gateway.create({ data: { id: 'kept', name: 'Kept' } });
    await first.close();

    const again = await openDatabase({ dataDir: fresh.dataDir });
    open.push(again);
    expect(again.kind).toBe('pglite');
    expect(await again.prisma.gateway.findUnique({ where: { id: 'kept' } })).toMatchObject({ name: 'Kept' });
  });

  it('takes over the lock of a process that died', async () => {
    await writeFile(join(fresh.dataDir, LOCK_FILE), '2147483646');
    const db = await openDatabase({ dataDir: fresh.dataDir });
    open.push(db);
    await db.ping();
  });

  it('takes over the lock of a killed process not yet reaped (a zombie)', async () => {
    // `sleep 0.1` ends and stays a zombie: its parent exec'd into a `sleep` that never reaps it.
    const child = spawn('sh', ['-c', 'sleep 0.1 & echo $!; exec sleep 5'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const pid = Number((await new Promise<Buffer>((resolve) => child.stdout.once('data', resolve))).toString().trim());
      await new Promise((r) => setTimeout(r, 400));
      expect(readFileSync(`/proc/${pid}/stat`, 'utf8')).toMatch(/\) Z /);
      await writeFile(join(fresh.dataDir, LOCK_FILE), String(pid));
      const db = await openDatabase({ dataDir: fresh.dataDir });
      open.push(db);
      await db.ping();
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('runs in memory with memory://', async () => {
    const db = await openDatabase({ dataDir: 'memory://' });
    open.push(db);
    expect(await db.prisma.user.count()).toBe(0);
  });
});
