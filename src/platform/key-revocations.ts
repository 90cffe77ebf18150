// Revoked and rotated keys, told to every instance at once. With PostgreSQL (the database every
// instance shares) this is LISTEN/NOTIFY on one dedicated connection: the NOTIFY is sent after
// the key's row is updated and delivered to every listening instance when it commits, before the
// API call that revoked the key has answered: every other listening instance acknowledges the
// notice once its cache has dropped the key, and publish() waits for those acknowledgements
// (bounded by ACK_TIMEOUT_MS, for an instance that is wedged). With the embedded database there
// is one process, so the handlers run in it directly. A listener that lost its connection drops every cached key
// when it reconnects (it may have missed a notice) and keeps retrying meanwhile.
import { randomUUID } from 'node:crypto';
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
const ACK_CHANNEL = 'switchboard_key_revoked_ack';
/** Listener connections are named `switchboard-keys:<instance id>`, so a publisher can list them. */
const LISTENER_NAME = 'switchboard-keys:';
const ACK_TIMEOUT_MS = 2_000;

interface Notice extends RevokedKeys {
  nonce?: string;
  from?: string;
}

export async function createKeyRevocations({ databaseUrl, logger }: { databaseUrl?: string; logger: Logger }): Promise<KeyRevocations> {
  const handlers: Array<(event: RevokedKeys | undefined) => void> = [];
  const emit = (event: RevokedKeys | undefined) => handlers.forEach((h) => h(event));
  if (!databaseUrl) {
    return { publish: async (event) => emit(event), subscribe: (h) => void handlers.push(h), close: async () => {} };
  }

  const instanceId = randomUUID();
  /** nonce -> called with each acknowledging instance's id */
  const awaitingAcks = new Map<string, (from: string) => void>();
  let client: pg.Client | undefined;
  let closed = false;
  let retry: NodeJS.Timeout | undefined;
  let reconnecting: Promise<void> | undefined;

  function received(payload: string): void {
    let notice: Notice;
    try {
      notice = JSON.parse(payload) as Notice;
    } catch {
      return emit(undefined);
    }
    if (notice.from === instanceId) return; // emitted locally when published
    emit({ keyId: notice.keyId, userId: notice.userId });
    if (notice.nonce) client?.query('SELECT pg_notify($1, $2)', [ACK_CHANNEL, `${notice.nonce}:${instanceId}`]).catch(() => {});
  }

  async function connect(): Promise<void> {
    const next = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 5_000, application_name: `${LISTENER_NAME}${instanceId}` });
    next.on('notification', (message) => {
      if (!message.payload) return;
      if (message.channel === CHANNEL) return received(message.payload);
      if (message.channel !== ACK_CHANNEL) return;
      const [nonce, from] = message.payload.split(':');
      if (nonce && from) awaitingAcks.get(nonce)?.(from);
    });
    next.on('error', (error) => {
      logger.warn('key revocation listener lost its connection', { cause: error });
      if (client === next) client = undefined;
      next.end().catch(() => {});
      scheduleReconnect();
    });
    await next.connect();
    await next.query(`LISTEN ${CHANNEL}; LISTEN ${ACK_CHANNEL}`);
    // Closed while this reconnect was on its way: the connection would outlive the instance.
    if (closed) {
      await next.end().catch(() => {});
      return;
    }
    client = next;
  }

  function scheduleReconnect(): void {
    if (closed || retry) return;
    retry = setTimeout(() => {
      retry = undefined;
      reconnecting = connect().then(
        () => emit(undefined),
        () => scheduleReconnect(),
      );
    }, 1_000);
    retry.unref();
  }

  /** Sends the notice and resolves once every other listening instance has dropped the key. */
  async function notifyAndAwaitAcks(listener: pg.Client, event: RevokedKeys): Promise<void> {
    const { rows } = await listener.query<{ name: string }>(
      'SELECT application_name AS name FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE $1',
      [`${LISTENER_NAME}%`],
    );
    const waiting = new Set(rows.map((r) => r.name.slice(LISTENER_NAME.length)).filter((id) => id !== instanceId));
    const nonce = randomUUID();
    let timer: NodeJS.Timeout | undefined;
    const acknowledged = new Promise<boolean>((resolve) => {
      if (waiting.size === 0) return resolve(true);
      awaitingAcks.set(nonce, (from) => {
        waiting.delete(from);
        if (waiting.size === 0) resolve(true);
      });
      timer = setTimeout(() => resolve(false), ACK_TIMEOUT_MS);
    });
    try {
      await listener.query('SELECT pg_notify($1, $2)', [CHANNEL, JSON.stringify({ ...event, nonce, from: instanceId } satisfies Notice)]);
      if (!(await acknowledged)) logger.warn('key revocation not acknowledged in time by every instance', { ...event, instances: [...waiting] });
    } finally {
      clearTimeout(timer);
      awaitingAcks.delete(nonce);
    }
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
      await notifyAndAwaitAcks(client, event);
    },
    subscribe: (h) => void handlers.push(h),
    async close() {
      closed = true;
      clearTimeout(retry);
      await reconnecting;
      await client?.end().catch(() => {});
    },
  };
}
