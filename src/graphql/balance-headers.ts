// The balance headers on GraphQL HTTP responses (not on event streams, whose headers leave before
// the call): computed after the operation, for the caller the request authenticated.
import type { Plugin } from 'graphql-yoga';
import { balanceHeaders } from '../http/balance-headers.ts';
import type { Principal } from '../domain/access/principal.ts';
import type { Services } from '../domain/services.ts';
import type { Logger } from '../platform/logger.ts';

export function createBalanceHeaders(services: Services, logger: Logger) {
  const callers = new WeakMap<Request, Principal>();
  const plugin: Plugin = {
    async onResponse({ request, response }) {
      const principal = callers.get(request);
      if (!principal || response.headers.get('content-type')?.includes('text/event-stream')) return;
      try {
        for (const [name, value] of balanceHeaders(await services.balance.remaining(principal))) response.headers.set(name, value);
      } catch (error) {
        // The balance is informational: never fail the response for it.
        logger.warn('balance headers unavailable', { cause: error instanceof Error ? error : new Error(String(error)) });
      }
    },
  };
  return { plugin, remember: (request: Request, principal: Principal) => void callers.set(request, principal) };
}
