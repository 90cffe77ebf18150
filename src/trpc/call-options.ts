// Per-call options from the tRPC context: transport name, the client's abort signal, and the
// Idempotency-Key header.
import type { TRPCContext } from './init.ts';

export function callOptions(ctx: TRPCContext, signal: AbortSignal | undefined, streaming = false) {
  return {
    transport: ctx.isWebSocket ? 'trpc-ws' : streaming ? 'trpc-sse' : 'trpc-http',
    surface: 'TRPC' as const,
    signal,
    idempotencyKey: ctx.idempotencyKey,
  };
}
