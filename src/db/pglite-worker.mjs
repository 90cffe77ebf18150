// The embedded database's thread: owns the one PGlite instance so that its Wasm work (parsing,
// planning, executing, WAL and file writes) runs off the server's event loop. The main thread
// talks to it through pglite-thread.ts; one message in, one reply out, matched by `id`.
//
// Plain JavaScript on purpose: Node 20's worker_threads cannot load a .ts entry without a loader,
// and this file must start the same under tsx, vitest and plain node. Keep it a dumb executor.
//
// Messages (all carry `id`):
//   { op: 'query', sql, params, rowMode?, rawTypes?, tx? } -> { rows, fields, affectedRows }
//   { op: 'run', sql, params }                               -> {}   (no rows sent back)
//   { op: 'exec', sql, tx? }                                 -> { results: [{ rows, fields, affectedRows }] }
//   { op: 'begin' }        -> { tx }   a transaction that holds PGlite until 'end'
//   { op: 'rollback', tx } -> {}
//   { op: 'end', tx, commit } -> {}    commit (unless rolled back) or roll back, then release
//   { op: 'close' }        -> {}
// A failure replies { id, error: { message, ...fields of PGlite's DatabaseError } }.
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite, messages } from '@electric-sql/pglite';

// The Wasm modules come compiled from the main thread (see pglite-thread.ts).
const pglite = await PGlite.create({
  dataDir: workerData.dataDir,
  pgliteWasmModule: workerData.pgliteWasmModule,
  initdbWasmModule: workerData.initdbWasmModule,
});
/** Open transactions by id: PGlite's handle, how to end it, and the promise of its end. */
const transactions = new Map();
let nextTx = 1;
const ROLLED_BACK = new Error('rolled back by the caller');

const identity = (value) => value;
/** Columns of these types come back as PostgreSQL's text; the caller parses them itself. */
function rawParsers(rawTypes) {
  if (!rawTypes || rawTypes.length === 0) return undefined;
  return Object.fromEntries(rawTypes.map((t) => [t, identity]));
}

const plain = (r) => ({ rows: r.rows, fields: r.fields, affectedRows: r.affectedRows });

function errorOf(e) {
  const error = { message: e instanceof Error ? e.message : String(e) };
  if (e instanceof messages.DatabaseError) {
    error.database = true;
    for (const key of Object.keys(e)) {
      const v = e[key];
      // Only PostgreSQL's fields (strings, numbers); PGlite also attaches the query and its options.
      if (typeof v === 'string' || typeof v === 'number') error[key] = v;
    }
    error.name = e.name;
    error.length = e.length;
  }
  return error;
}

function connectionOf(txId) {
  if (txId === undefined) return pglite;
  const open = transactions.get(txId);
  if (!open) throw new Error(`transaction ${txId} is not open`);
  return open.tx;
}

async function handle(msg) {
  switch (msg.op) {
    case 'query': {
      const options = { rowMode: msg.rowMode, parsers: rawParsers(msg.rawTypes) };
      return plain(await connectionOf(msg.tx).query(msg.sql, msg.params, options));
    }
    case 'run':
      await pglite.query(msg.sql, msg.params);
      return {};
    case 'exec':
      return { results: (await connectionOf(msg.tx).exec(msg.sql)).map(plain) };
    case 'begin': {
      const txId = nextTx++;
      let started;
      const begun = new Promise((resolve) => (started = resolve));
      const done = pglite
        .transaction(
          (tx) =>
            new Promise((commit, abort) => {
              transactions.set(txId, { tx, finish: (ok) => (ok ? commit() : abort(ROLLED_BACK)), done: undefined });
              started();
            }),
        )
        .finally(() => transactions.delete(txId));
      // BEGIN itself failing rejects `done` before the callback ran.
      await Promise.race([begun, done]);
      transactions.get(txId).done = done;
      return { tx: txId };
    }
    case 'rollback':
      await connectionOf(msg.tx).rollback();
      return {};
    case 'end': {
      const open = transactions.get(msg.tx);
      if (!open) return {};
      open.finish(msg.commit);
      try {
        await open.done;
      } catch (e) {
        if (e !== ROLLED_BACK) throw e;
      }
      return {};
    }
    case 'close':
      if (!pglite.closed) await pglite.close();
      return {};
    default:
      throw new Error(`unknown op ${msg.op}`);
  }
}

function reply(id, answer) {
  try {
    parentPort.postMessage({ id, ...answer });
  } catch (e) {
    // An answer that cannot cross the thread boundary (structured clone) fails that call only.
    parentPort.postMessage({ id, error: { message: `could not return the result: ${e instanceof Error ? e.message : String(e)}` } });
  }
}

parentPort.on('message', (msg) => {
  handle(msg).then(
    (result) => reply(msg.id, { result }),
    (e) => reply(msg.id, { error: errorOf(e) }),
  );
});
parentPort.postMessage({ ready: true });
