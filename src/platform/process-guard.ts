// The last line of defence: an error thrown while serving (a framework or library callback, a
// promise nobody awaited) is logged and counted, and the process keeps serving every other
// caller. Requests and streams fail alone where they are caught (the HTTP handler, the GraphQL and
// tRPC error mappings, the subscription stream wrapper); this catches what slipped past them.
import type { Logger } from './logger.ts';

export type ProcessFault = 'uncaught_exception' | 'unhandled_rejection';

export interface ProcessGuardOptions {
  logger: Logger;
  /** Counts the fault (switchboard_internal_errors_total{where}). */
  onFault: (where: ProcessFault) => void;
}

/** Installs the handlers; returns a function that removes them. */
export function installProcessGuard({ logger, onFault }: ProcessGuardOptions): () => void {
  const onException = (error: unknown) => {
    onFault('uncaught_exception');
    logger.error('uncaught exception: the process keeps serving', { cause: error });
  };
  const onRejection = (reason: unknown) => {
    onFault('unhandled_rejection');
    logger.error('unhandled rejection: the process keeps serving', { cause: reason });
  };
  // A log destination whose reading end went away (EPIPE: the process that read our stderr died)
  // leaves nowhere to log. Unheard, each failed write would be an uncaught exception, logged, whose
  // write fails again: a loop that spins the CPU and keeps a SIGTERM from ending the process.
  const onStreamError = () => undefined;
  process.on('uncaughtException', onException);
  process.on('unhandledRejection', onRejection);
  process.stderr.on('error', onStreamError);
  process.stdout.on('error', onStreamError);
  return () => {
    process.off('uncaughtException', onException);
    process.off('unhandledRejection', onRejection);
    process.stderr.off('error', onStreamError);
    process.stdout.off('error', onStreamError);
  };
}
