// WebSocket admission for both protocols (graphql-ws on /graphql, tRPC on /trpc): a socket is
// authenticated when it connects (its connection params); one without a valid key is closed with
// 4401 after authTimeoutMs (its operations meanwhile answer UNAUTHENTICATED, as over HTTP), and at
// most maxUnauthenticated wait at once (more: closed 4429 at once); each key may hold at most
// maxSockets open sockets and maxSubscriptions subscriptions; revoking or rotating a key closes
// its sockets (4401) on every instance (see key-events.ts).
import type { WebSocket } from 'ws';
import type { Principal } from '../domain/access/principal.ts';

export const WS_UNAUTHORIZED = 4401;
export const WS_TOO_MANY = 4429;

export interface SocketGuardOptions {
  authTimeoutMs: number;
  /** Sockets waiting for a valid key at once (default 1,000): more are closed (4429) at once. */
  maxUnauthenticated?: number;
  maxSocketsPerKey: number;
  maxSubscriptionsPerKey: number;
}

interface Holder {
  key: string;
  principal: Principal;
  subscriptions: number;
}

/** The bootstrap admin key has no key id: its sockets are grouped by user. */
const holderKey = (p: Principal): string => p.keyId ?? `user:${p.userId}`;

export function createSocketGuard(options: SocketGuardOptions) {
  const holders = new Map<WebSocket, Holder>();
  const byKey = new Map<string, Set<WebSocket>>();
  const subscriptionsByKey = new Map<string, number>();

  function release(ws: WebSocket): void {
    const holder = holders.get(ws);
    if (!holder) return;
    holders.delete(ws);
    const sockets = byKey.get(holder.key);
    sockets?.delete(ws);
    if (sockets?.size === 0) byKey.delete(holder.key);
    const left = (subscriptionsByKey.get(holder.key) ?? 0) - holder.subscriptions;
    if (left > 0) subscriptionsByKey.set(holder.key, left);
    else subscriptionsByKey.delete(holder.key);
  }

  /** Sockets not (yet) authenticated: bounded in count (maxUnauthenticated) and time (authTimeoutMs). */
  const waiting = new Set<WebSocket>();
  const maxUnauthenticated = options.maxUnauthenticated ?? 1_000;

  /** Starts the authentication clock for a new socket. */
  function watch(ws: WebSocket): void {
    if (waiting.size >= maxUnauthenticated) {
      ws.close(WS_TOO_MANY, 'Too many connections waiting to authenticate');
      return;
    }
    waiting.add(ws);
    const timer = setTimeout(() => {
      waiting.delete(ws);
      if (!holders.has(ws)) ws.close(WS_UNAUTHORIZED, 'Unauthorized: no valid API key');
    }, options.authTimeoutMs);
    timer.unref();
    ws.once('close', () => {
      clearTimeout(timer);
      waiting.delete(ws);
      release(ws);
    });
  }

  /** A socket authenticated as principal: true if admitted, else it is closed (4429). */
  function admit(ws: WebSocket, principal: Principal): boolean {
    if (holders.has(ws)) return true;
    if (ws.readyState !== ws.OPEN) return false; // closed meanwhile (e.g. refused by watch)
    const key = holderKey(principal);
    const sockets = byKey.get(key) ?? new Set<WebSocket>();
    if (sockets.size >= options.maxSocketsPerKey) {
      ws.close(WS_TOO_MANY, `Too many open sockets for this key (max ${options.maxSocketsPerKey})`);
      return false;
    }
    sockets.add(ws);
    waiting.delete(ws);
    byKey.set(key, sockets);
    holders.set(ws, { key, principal, subscriptions: 0 });
    return true;
  }

  function refuse(ws: WebSocket): void {
    ws.close(WS_UNAUTHORIZED, 'Unauthorized: no valid API key');
  }

  /** Counts a new subscription on the socket's key; false when the key is at its cap. */
  function subscribe(ws: WebSocket): boolean {
    const holder = holders.get(ws);
    if (!holder) return false;
    const count = subscriptionsByKey.get(holder.key) ?? 0;
    if (count >= options.maxSubscriptionsPerKey) return false;
    subscriptionsByKey.set(holder.key, count + 1);
    holder.subscriptions++;
    return true;
  }

  function unsubscribe(ws: WebSocket): void {
    const holder = holders.get(ws);
    if (!holder || holder.subscriptions === 0) return;
    holder.subscriptions--;
    subscriptionsByKey.set(holder.key, Math.max(0, (subscriptionsByKey.get(holder.key) ?? 1) - 1));
  }

  /** Closes every socket authenticated by a key (revoked or rotated) or by any key of a user. */
  function closeFor(target: { keyId?: string; userId?: string }): number {
    let closed = 0;
    for (const [ws, holder] of holders) {
      if ((target.keyId && holder.principal.keyId === target.keyId) || (target.userId && holder.principal.userId === target.userId && holder.principal.keyId)) {
        ws.close(WS_UNAUTHORIZED, 'API key revoked');
        closed++;
      }
    }
    return closed;
  }

  const openSockets = (): number => holders.size;
  const unauthenticated = (): number => waiting.size;
  const admitted = (ws: WebSocket): boolean => holders.has(ws);

  return { watch, admit, admitted, refuse, subscribe, unsubscribe, closeFor, openSockets, unauthenticated };
}

export type SocketGuard = ReturnType<typeof createSocketGuard>;
