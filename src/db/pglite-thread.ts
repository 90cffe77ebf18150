// The main thread's handle on the PGlite that runs in pglite-worker.mjs: the part of PGlite's API
// that pglite-prisma-adapter, our raw sessions and the ledger's `execute` use (query, exec,
// transaction, close), each call one message to the worker and one reply.
//
// Semantics kept from in-process PGlite: one connection, queries run in the order sent, and an
// open transaction holds it (other queries wait for its end). Errors from PostgreSQL come back
// as PGlite's own DatabaseError (with code, detail, constraint, ...), so the Prisma adapter and
// dbErrorKind() classify them exactly as before. Row parsing with caller-given `parsers` (the
// Prisma adapter's) happens here: the worker returns those columns as PostgreSQL text.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { messages, type PGlite, type QueryOptions, type Results, type Transaction } from '@electric-sql/pglite';

type WireResults = Pick<Results, 'rows' | 'fields' | 'affectedRows'>;
interface Reply {
  id: number;
  result?: unknown;
  error?: { message: string; database?: boolean; length?: number; name?: string } & Record<string, unknown>;
}
type Parsers = NonNullable<QueryOptions['parsers']>;

/**
 * PGlite's two Wasm modules, compiled once per process and shared with every worker (a compiled
 * WebAssembly.Module crosses threads without recompiling): opening a database then costs an
 * instantiation, not a 9 MB compile.
 */
let compiled: Promise<{ pgliteWasmModule: WebAssembly.Module; initdbWasmModule: WebAssembly.Module }> | undefined;
function compiledModules() {
  compiled ??= (async () => {
    const dist = dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite'));
    const compile = async (file: string) => WebAssembly.compile(await readFile(join(dist, file)));
    const [pgliteWasmModule, initdbWasmModule] = await Promise.all([compile('pglite.wasm'), compile('initdb.wasm')]);
    return { pgliteWasmModule, initdbWasmModule };
  })();
  compiled.catch(() => (compiled = undefined));
  return compiled;
}

/** A lost worker fails every call with this SQLSTATE (connection_failure). */
const CONNECTION_FAILURE = '08006';

function toError(wire: NonNullable<Reply['error']>): Error {
  if (!wire.database) return new Error(wire.message);
  const { message, length, name, database: _db, ...fields } = wire;
  const error = new messages.DatabaseError(message, length ?? 0, (name ?? 'error') as messages.MessageName);
  return Object.assign(error, fields);
}

/** Applies the caller's parsers to the columns the worker left as text (PGlite's own rule: null stays null). */
function parseRaw(result: WireResults, parsers: Parsers, arrays: boolean): Results {
  const columns = result.fields.flatMap((f, i) => {
    const parse = parsers[f.dataTypeID];
    return parse ? [{ i, name: f.name, type: f.dataTypeID, parse }] : [];
  });
  if (columns.length > 0) {
    for (const row of result.rows as Array<Record<string | number, unknown>>) {
      for (const c of columns) {
        const key = arrays ? c.i : c.name;
        const raw = row[key];
        if (raw !== null && raw !== undefined) row[key] = (c.parse as (value: string, typeId: number) => unknown)(raw as string, c.type);
      }
    }
  }
  return result;
}

export class PGliteThread {
  readonly #worker: Worker;
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  #nextId = 1;
  #closed = false;
  #lost: Error | undefined;

  private constructor(worker: Worker) {
    this.#worker = worker;
    worker.on('message', (reply: Reply) => {
      const waiter = this.#pending.get(reply.id);
      if (!waiter) return;
      this.#pending.delete(reply.id);
      if (reply.error) waiter.reject(toError(reply.error));
      else waiter.resolve(reply.result);
    });
    const lose = (why: string) => {
      this.#lost ??= Object.assign(new Error(`The embedded database's worker ${why}`), { code: CONNECTION_FAILURE });
      for (const waiter of this.#pending.values()) waiter.reject(this.#lost);
      this.#pending.clear();
    };
    worker.on('error', (e) => lose(`failed: ${e.message}`));
    worker.on('exit', (code) => lose(`exited (${code})`));
  }

  /** Starts the worker and waits until PGlite is open in `dataDir` (a path or 'memory://...'). */
  static async start(dataDir: string): Promise<PGliteThread> {
    const worker = new Worker(new URL('./pglite-worker.mjs', import.meta.url), { workerData: { dataDir, ...(await compiledModules()) } });
    await new Promise<void>((resolve, reject) => {
      const onExit = (code: number) => reject(new Error(`The embedded database's worker exited (${code}) while opening ${dataDir}`));
      worker.once('error', reject);
      worker.once('exit', onExit);
      worker.once('message', () => {
        worker.off('error', reject);
        worker.off('exit', onExit);
        resolve();
      });
    });
    return new PGliteThread(worker);
  }

  get closed(): boolean {
    return this.#closed;
  }

  #call<T>(message: Record<string, unknown>): Promise<T> {
    if (this.#lost) return Promise.reject(this.#lost);
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.#worker.postMessage({ ...message, id });
    });
  }

  async #query<T>(tx: number | undefined, sql: string, params: readonly unknown[] = [], options?: QueryOptions): Promise<Results<T>> {
    const parsers = options?.parsers;
    const rawTypes = parsers ? Object.keys(parsers).map(Number) : undefined;
    const result = await this.#call<WireResults>({ op: 'query', tx, sql, params, rowMode: options?.rowMode, rawTypes });
    return (parsers ? parseRaw(result, parsers, options?.rowMode === 'array') : result) as Results<T>;
  }

  query<T>(sql: string, params?: readonly unknown[], options?: QueryOptions): Promise<Results<T>> {
    return this.#query<T>(undefined, sql, params, options);
  }

  async exec(sql: string): Promise<Results[]> {
    return (await this.#call<{ results: Results[] }>({ op: 'exec', sql })).results;
  }

  /** A write whose rows nobody reads (the ledger's group commits): nothing comes back but success. */
  async run(sql: string, params: readonly unknown[]): Promise<void> {
    await this.#call({ op: 'run', sql, params });
  }

  /** PGlite's transaction(): the callback's queries run inside; a throw rolls back and rethrows. */
  async transaction<T>(callback: (tx: Transaction) => Promise<T>): Promise<T> {
    const { tx: id } = await this.#call<{ tx: number }>({ op: 'begin' });
    let closed = false;
    const tx = {
      query: <R>(sql: string, params?: unknown[], options?: QueryOptions) => this.#query<R>(id, sql, params, options),
      exec: async (sql: string) => (await this.#call<{ results: Results[] }>({ op: 'exec', sql, tx: id })).results,
      rollback: async () => {
        await this.#call({ op: 'rollback', tx: id });
        closed = true;
      },
      get closed() {
        return closed;
      },
    };
    let result: T;
    try {
      result = await callback(tx as unknown as Transaction);
    } catch (e) {
      closed = true;
      await this.#call({ op: 'end', tx: id, commit: false }).catch(() => undefined);
      throw e;
    }
    closed = true;
    await this.#call({ op: 'end', tx: id, commit: true });
    return result;
  }

  /** Closes PGlite and ends the worker. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      if (!this.#lost) await this.#call({ op: 'close' });
    } finally {
      await this.#worker.terminate();
      this.#lost ??= Object.assign(new Error('The embedded database is closed'), { code: CONNECTION_FAILURE });
    }
  }

  /** This handle typed as the PGlite the Prisma adapter expects (it uses query, exec and transaction only). */
  asPGlite(): PGlite {
    return this as unknown as PGlite;
  }
}
