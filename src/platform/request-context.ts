// The request being served, carried through async calls (AsyncLocalStorage): its id goes on every
// log line of that request, and the adapters fill in what the access line reports.
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

export interface RequestContext {
  requestId: string;
  /** Known operation names served by this request (GraphQL root fields or tRPC paths). */
  operations: string[];
  userId?: string;
  /** The contract code of the first error, if any. */
  appCode?: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

/** A client's x-request-id when it is sane (printable, at most 128 chars), else a new one. */
export function requestIdFrom(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  return value && /^[\x21-\x7e]{1,128}$/.test(value) ? value : randomUUID();
}

export const runWithRequest = <T>(context: RequestContext, fn: () => T): T => storage.run(context, fn);

export const currentRequest = (): RequestContext | undefined => storage.getStore();

/** Notes facts about the current request for its access line (no-op outside a request). */
export function noteRequest(facts: { operation?: string; userId?: string; appCode?: string }): void {
  const context = storage.getStore();
  if (!context) return;
  if (facts.operation && !context.operations.includes(facts.operation) && context.operations.length < 20) context.operations.push(facts.operation);
  if (facts.userId) context.userId ??= facts.userId;
  if (facts.appCode) context.appCode ??= facts.appCode;
}
