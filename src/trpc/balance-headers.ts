// The balance headers on tRPC HTTP responses: after the procedure ran, while the response head
// is still unsent (queries, mutations and batches; not WebSocket, not an event stream already
// under way). For a batch, the last procedure's balance wins.
import type { ServerResponse } from 'node:http';
import { balanceHeaders } from '../http/balance-headers.ts';
import type { Principal } from '../domain/access/principal.ts';
import type { Services } from '../domain/services.ts';
import type { Logger } from '../platform/logger.ts';

export async function setBalanceHeaders(res: ServerResponse | undefined, services: Services, principal: Principal, logger: Logger): Promise<void> {
  if (!res || res.headersSent) return;
  try {
    const headers = balanceHeaders(await services.balance.remaining(principal));
    if (!res.headersSent) for (const [name, value] of headers) res.setHeader(name, value);
  } catch (error) {
    logger.warn('balance headers unavailable', { cause: error instanceof Error ? error : new Error(String(error)) });
  }
}
