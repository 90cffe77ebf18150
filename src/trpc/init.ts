// tRPC v11 setup: context (caller from the bearer key or the WebSocket's connection params),
// the error formatter, and the procedure builders every router uses.
import type { ServerResponse } from 'node:http';
import { initTRPC } from '@trpc/server';
import type { CreateHTTPContextOptions } from '@trpc/server/adapters/standalone';
import type { CreateWSSContextFnOptions } from '@trpc/server/adapters/ws';
import type { Principal } from '../domain/access/principal.ts';
import type { Services } from '../domain/services.ts';
import { AppError, toAppError } from '../platform/errors.ts';
import type { Logger } from '../platform/logger.ts';
import type { Metrics } from '../platform/metrics.ts';
import { noteRequest } from '../platform/request-context.ts';
import { appErrorOf, formatTRPCError, setRetryAfter } from './errors.ts';
import { setBalanceHeaders } from './balance-headers.ts';

export interface TRPCContext {
  services: Services;
  metrics: Metrics;
  logger: Logger;
  authorization: string | undefined;
  idempotencyKey: string | undefined;
  isWebSocket: boolean;
  /** LOG_PROMPTS: log each call's input (prompts included). Off by default. */
  logPrompts?: boolean;
  /** The HTTP response (not on WebSocket), for the balance headers. */
  httpResponse?: ServerResponse;
  /** An HTTP request carried a key in its query string (`connectionParams`) where that is refused. */
  keyInUrlRefused?: boolean;
}

export interface ContextDeps {
  services: Services;
  metrics: Metrics;
  logger: Logger;
  logPrompts?: boolean;
  /** ALLOW_KEYS_IN_URL: accept a key in an HTTP request's `connectionParams` query parameter. */
  allowKeysInUrl?: boolean;
}

export function createContextFactory({ allowKeysInUrl = true, ...deps }: ContextDeps) {
  return (opts: CreateHTTPContextOptions | CreateWSSContextFnOptions): TRPCContext => {
    const params = opts.info.connectionParams;
    const header = (name: string): string | undefined => {
      const value = opts.req.headers[name];
      return Array.isArray(value) ? value[0] : value;
    };
    const isWebSocket = 'send' in opts.res;
    const paramKey = params?.authorization ?? params?.Authorization;
    // Over HTTP, connection params travel in the URL (a WebSocket sends them in its first message).
    const keyInUrlRefused = !isWebSocket && paramKey !== undefined && !allowKeysInUrl;
    return {
      ...deps,
      authorization: keyInUrlRefused ? undefined : (paramKey ?? header('authorization')),
      idempotencyKey: header('idempotency-key'),
      isWebSocket,
      ...(keyInUrlRefused && { keyInUrlRefused }),
      ...(!('send' in opts.res) && { httpResponse: opts.res }),
    };
  };
}

const t = initTRPC.context<TRPCContext>().create({
  isDev: false,
  errorFormatter: ({ shape, error, ctx, type }) =>
    formatTRPCError(
      shape,
      error,
      type,
      (app) => ctx?.logger.error('internal error', { cause: app.cause ?? app }),
      (app) => setRetryAfter(ctx?.httpResponse, app),
    ),
});

const isAsyncIterable = (value: unknown): value is AsyncIterable<unknown> => typeof value === 'object' && value !== null && Symbol.asyncIterator in value;

export const router = t.router;
export const mergeRouters = t.mergeRouters;

function observe(ctx: TRPCContext, path: string, started: number, outcome: string): void {
  ctx.metrics.observe('trpc', path, outcome, (performance.now() - started) / 1000);
}

export const publicProcedure = t.procedure.use(async ({ ctx, path, next }) => {
  const started = performance.now();
  noteRequest({ operation: path });
  const result = await next();
  observe(ctx, path, started, result.ok ? 'ok' : appErrorOf(result.error).code);
  return result;
});

/** A procedure that needs a caller (UNAUTHENTICATED otherwise); one middleware layer, not two. */
export const authedProcedure = t.procedure.use(async ({ ctx, path, type, next, getRawInput }) => {
  const started = performance.now();
  let principal: Principal;
  try {
    if (ctx.keyInUrlRefused) throw new AppError('UNAUTHENTICATED', 'API keys in a URL are refused: send it in the Authorization header');
    principal = await ctx.services.access.authenticate(ctx.authorization);
  } catch (error) {
    observe(ctx, path, started, toAppError(error).code);
    throw error;
  }
  noteRequest({ operation: path, userId: principal.userId });
  if (ctx.logPrompts) ctx.logger.info('trpc input (LOG_PROMPTS)', { path, input: await getRawInput().catch(() => undefined) });
  let result = await next({ ctx: { principal } });
  // A subscription's stream ends at once (UNAUTHENTICATED) when its key is revoked or rotated.
  if (type === 'subscription' && result.ok && isAsyncIterable(result.data)) result = { ...result, data: ctx.services.liveStreams.revocable(principal, result.data) };
  if (type !== 'subscription') await setBalanceHeaders(ctx.httpResponse, ctx.services, principal, ctx.logger);
  observe(ctx, path, started, result.ok ? 'ok' : appErrorOf(result.error).code);
  return result;
});
