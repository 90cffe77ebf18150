// A subscription whose event stream throws (a resolver's generator, a library under it) ends with
// one last event carrying the error, masked like any other (AppError -> its code; anything else ->
// INTERNAL), instead of throwing into the transport. graphql-sse's handler, graphql-ws and yoga's
// own SSE all get a result they know how to send; none of them ever sees a rejection, so no
// transport can turn one stream's failure into an unhandled rejection or a closed socket.
// A revoked or rotated key's streams end the same way (UNAUTHENTICATED), within the moment.
import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { LiveStreams } from '../domain/access/live-streams.ts';
import { AppError } from '../platform/errors.ts';
import type { GraphQLContext } from './builder.ts';

interface ErrorResult {
  errors: readonly GraphQLError[];
}

const isAsyncIterable = (value: unknown): value is AsyncIterable<unknown> =>
  typeof value === 'object' && value !== null && Symbol.asyncIterator in value;

function originalOf(error: unknown): unknown {
  return error instanceof Error && error.name === 'GraphQLError' ? ((error as GraphQLError).originalError ?? error) : error;
}

/** true when the error is one the application meant to answer (an AppError other than INTERNAL, or GraphQL's own). */
function expected(error: unknown): boolean {
  const original = originalOf(error);
  if (original instanceof AppError) return original.code !== 'INTERNAL';
  return original instanceof Error && original.name === 'GraphQLError';
}

function asGraphQLError(error: unknown): GraphQLError {
  if (error instanceof Error && error.name === 'GraphQLError') return error as GraphQLError;
  return new GraphQLError(error instanceof Error ? error.message : 'Internal error', { originalError: error instanceof Error ? error : undefined });
}

/**
 * Iterates source; the first error it throws becomes a final `{ errors }` event. A hand-written
 * iterator (not an async generator): return() reaches the source at once even while a next() is
 * pending, so a client that leaves still cancels the upstream call underneath.
 */
export function endOnError<T>(source: AsyncIterable<T>, onUnexpected: (error: unknown) => void): AsyncIterableIterator<T | ErrorResult> {
  const inner = source[Symbol.asyncIterator]();
  let finished = false;
  const iterator: AsyncIterableIterator<T | ErrorResult> = {
    [Symbol.asyncIterator]: () => iterator,
    async next() {
      if (finished) return { done: true, value: undefined };
      try {
        const step = await inner.next();
        if (step.done) finished = true;
        return step;
      } catch (error) {
        finished = true;
        if (!expected(error)) onUnexpected(error);
        return { done: false, value: { errors: [asGraphQLError(error)] } };
      }
    },
    async return(value?: unknown) {
      finished = true;
      await Promise.resolve(inner.return?.(value)).catch(() => undefined);
      return { done: true, value: undefined };
    },
    async throw(error?: unknown) {
      finished = true;
      await Promise.resolve(inner.return?.()).catch(() => undefined);
      if (!expected(error)) onUnexpected(error);
      return { done: true, value: undefined };
    },
  };
  return iterator;
}

/**
 * Every subscription's event stream: ended by an error event instead of a throw (above), and ended
 * at once (UNAUTHENTICATED) when its caller's key is revoked or rotated.
 */
export function streamGuardPlugin(liveStreams: LiveStreams, onUnexpected: (error: unknown) => void): Plugin {
  return {
    onSubscribe({ subscribeFn, setSubscribeFn }) {
      setSubscribeFn(async (args) => {
        try {
          const result = await subscribeFn(args);
          if (!isAsyncIterable(result)) return result;
          const auth = (args.contextValue as Partial<GraphQLContext>).auth;
          const source = auth && 'principal' in auth ? liveStreams.revocable(auth.principal, result) : result;
          return endOnError(source, onUnexpected) as never;
        } catch (error) {
          if (!expected(error)) onUnexpected(error);
          return { errors: [asGraphQLError(error)] };
        }
      });
    },
  };
}
