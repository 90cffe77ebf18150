// A TCP proxy for dependency faults (PostgreSQL, Redis): clients connect to it, it forwards to the
// real server, and a test switches its mode mid-run:
//   pass    forward as is;
//   refuse  new connections are reset at once (existing ones keep working);
//   drop    every open connection is reset now (both sides), then back to pass;
//   stall   nothing is forwarded (bytes wait, connections stay open) until the mode changes;
//   slow    every chunk is held `delayMs` before it is forwarded.
// `down()` = drop + refuse (the server "vanished"); `pass()` ends any fault.
import { createServer, connect, type Server, type Socket } from 'node:net';

export type FaultMode = 'pass' | 'refuse' | 'stall' | 'slow';

export interface FaultProxy {
  /** host:port clients should use. */
  host: string;
  port: number;
  /** `url` with its host and port replaced by the proxy's. */
  rewrite(url: string): string;
  mode(): FaultMode;
  pass(): void;
  refuse(): void;
  /** Resets every open connection (both sides); the mode stays as it is. */
  drop(): void;
  /** drop + refuse: the dependency is gone until pass(). */
  down(): void;
  stall(): void;
  slow(delayMs: number): void;
  /** Connections accepted so far / open now. */
  readonly accepted: number;
  open(): number;
  close(): Promise<void>;
}

interface Pipe {
  client: Socket;
  server: Socket;
  /** Chunks held while stalled, per direction, in order. */
  held: Array<{ to: Socket; chunk: Buffer }>;
}

export async function startFaultProxy(target: { host: string; port: number }): Promise<FaultProxy> {
  let current: FaultMode = 'pass';
  let delayMs = 0;
  let accepted = 0;
  const pipes = new Set<Pipe>();

  const write = (pipe: Pipe) => {
    const next = pipe.held.shift();
    if (next && !next.to.destroyed) next.to.write(next.chunk);
  };
  const flush = (pipe: Pipe) => {
    while (pipe.held.length > 0) write(pipe);
  };
  const forward = (pipe: Pipe, to: Socket, chunk: Buffer) => {
    pipe.held.push({ to, chunk });
    if (current === 'stall') return;
    // Slow: each chunk leaves delayMs after it came, in order (a chunk is never overtaken).
    if (current === 'slow' && delayMs > 0) return void setTimeout(() => current !== 'stall' && write(pipe), delayMs).unref();
    flush(pipe);
  };

  const server: Server = createServer((client) => {
    accepted++;
    if (current === 'refuse') {
      client.resetAndDestroy();
      return;
    }
    client.pause();
    const upstream = connect(target.port, target.host);
    const pipe: Pipe = { client, server: upstream, held: [] };
    pipes.add(pipe);
    const end = () => {
      pipes.delete(pipe);
      if (!client.destroyed) client.destroy();
      if (!upstream.destroyed) upstream.destroy();
    };
    upstream.once('connect', () => client.resume());
    client.on('data', (chunk: Buffer) => forward(pipe, upstream, chunk));
    upstream.on('data', (chunk: Buffer) => forward(pipe, client, chunk));
    client.on('error', end);
    upstream.on('error', end);
    client.on('close', end);
    upstream.on('close', end);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as { port: number }).port;

  const drop = () => {
    for (const pipe of [...pipes]) {
      pipes.delete(pipe);
      pipe.client.resetAndDestroy();
      pipe.server.resetAndDestroy();
    }
  };
  const setMode = (mode: FaultMode) => {
    current = mode;
    if (mode === 'pass' || mode === 'slow') for (const pipe of pipes) flush(pipe);
  };

  return {
    host: '127.0.0.1',
    port,
    rewrite(url: string) {
      const u = new URL(url);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.toString();
    },
    mode: () => current,
    pass: () => setMode('pass'),
    refuse: () => setMode('refuse'),
    drop,
    down() {
      setMode('refuse');
      drop();
    },
    stall: () => setMode('stall'),
    slow(ms: number) {
      delayMs = ms;
      setMode('slow');
    },
    get accepted() {
      return accepted;
    },
    open: () => pipes.size,
    async close() {
      drop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
