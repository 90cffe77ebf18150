// Revoked and rotated keys, told to every instance at once. With PostgreSQL (the database every
// instance shares) this is LISTEN/NOTIFY on one dedicated connection: the NOTIFY is sent after
// the key's row is updated and delivered to every listening instance when it commits, before the
// API call that revoked the key has answered. With the embedded database there is one process,
// so the handlers run in it directly. A listener that lost its connection drops every cached key
// when it reconnects (it may have missed a notice) and keeps retrying meanwhile.
import pg from 'pg';
import type { Logger } from './logger.ts';

export interface RevokedKeys {
  keyId?: string;
  userId?: string;
}

export interface KeyRevocations {
  publish(event: RevokedKeys): Promise<void>;
  /** handler(undefined): notices may have been missed, forget everything cached. */
  subscribe(handler: (event: RevokedKeys | undefined) => void): void;
  close(): Promise<void>;
}

const CHANNEL = 'switchboard_key_revoked';

export async function createKeyRevocations({ databaseUrl, logger }: { databaseUrl?: string; logger: Logger }): Promise<KeyRevocations> {
  const handlers: Array<(event: RevokedKeys | undefined) => void> = [];
  const emit = (event: RevokedKeys | undefined) => handlers.forEach((h) => h(event));
  if (!databaseUrl) {
    return { publish: async (event) => emit(event), subscribe: (h) => void handlers.push(h), close: async () => {} };
  }

  let client: pg.Client | undefined;
  let closed = false;
  let retry: NodeJS.Timeout | undefined;

  async function connect(): Promise<void> {
    const next = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 5_000 });
    next.on('notification', (message) => {
      if (message.channel !== CHANNEL || !message.payload) return;
      try {
        emit(JSON.parse(message.payload) as RevokedKeys);
      } catch {
        emit(undefined);
      }
    });
    next.on('error', (error) => {
      logger.warn('key revocation listener lost its connection', { cause: error });
      if (client === next) client = undefined;
      next.end().catch(() => {});
      scheduleReconnect();
    });
    await next.connect();
    await next.query(`LISTEN ${CHANNEL}`);
    client = next;
  }

  function scheduleReconnect(): void {
    if (closed || retry) return;
    retry = setTimeout(() => {
      retry = undefined;
      connect().then(
        () => emit(undefined),
        () => scheduleReconnect(),
      );
    }, 1_000);
    retry.unref();
  }

  await connect();
  return {
    async publish(event) {
      // Local handlers first: this instance never waits for its own notice.
      emit(event);
      if (!client) {
        logger.error('key revocation not sent to other instances: the channel is reconnecting (their caches drop every key when it is back)', { ...event });
        return;
      }
      await client.query('SELECT pg_notify($1, $2)', [CHANNEL, JSON.stringify(event)]);
    },
    subscribe: (h) => void handlers.push(h),
    async close() {
      closed = true;
      clearTimeout(retry);
      await client?.end().catch(() => {});
    },
  };
}
