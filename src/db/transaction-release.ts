// Prisma's client (6.19) ends a transaction by sending COMMIT or ROLLBACK through the adapter and
// only then calling the adapter's commit() / rollback(), which give the pooled connection back.
// When that statement fails (the connection was lost mid-transaction), the second call never
// comes: the connection stays checked out for good. Each such fault took one connection out of
// the pool, until calls waited for a connection that never came back and close() never returned
// (found by test/faults/fault-schedule-fuzz.test.ts). This wrapper gives a transaction's
// connection back, as broken (pg-pool discards it), the moment its COMMIT or ROLLBACK fails; a
// later commit() / rollback() then does nothing.
import type { SqlDriverAdapter, SqlDriverAdapterFactory, SqlQuery, Transaction } from '@prisma/driver-adapter-utils';
import type pg from 'pg';

const ENDS_TRANSACTION = /^\s*(COMMIT|ROLLBACK)\b/i;

/** `factory` with every transaction's connection released when its end fails. */
export function releasingFailedTransactionEnds(factory: SqlDriverAdapterFactory): SqlDriverAdapterFactory {
  return {
    provider: factory.provider,
    adapterName: factory.adapterName,
    connect: async () => withReleasingTransactions(await factory.connect()),
  };
}

function withReleasingTransactions(adapter: SqlDriverAdapter): SqlDriverAdapter {
  const start = adapter.startTransaction.bind(adapter);
  adapter.startTransaction = async (isolationLevel) => releasing(await start(isolationLevel));
  return adapter;
}

function releasing(tx: Transaction): Transaction {
  // @prisma/adapter-pg's transaction keeps its pool client as `client`.
  const client = (tx as unknown as { client?: pg.PoolClient }).client;
  if (!client) return tx;
  let released = false;
  const once =
    (end: () => Promise<void>) =>
    async (): Promise<void> => {
      if (released) return;
      released = true;
      await end();
    };
  const executeRaw = tx.executeRaw.bind(tx);
  tx.commit = once(tx.commit.bind(tx));
  tx.rollback = once(tx.rollback.bind(tx));
  tx.executeRaw = async (query: SqlQuery) => {
    try {
      return await executeRaw(query);
    } catch (error) {
      if (ENDS_TRANSACTION.test(query.sql) && !released) {
        released = true;
        client.release(error instanceof Error ? error : new Error(String(error)));
      }
      throw error;
    }
  };
  return tx;
}
