// What an adapter hands a service with each call: the transport that carried it, the client's
// abort signal and the Idempotency-Key header. The header is checked here, by the same rule as
// the input field, so both APIs and every operation (streams included) refuse the same keys.
import { badInput } from '../platform/errors.ts';
import { idempotencyKey as idempotencyKeySchema } from './generation/schemas.ts';
import type { Surface } from './ledger/usage-row.ts';

export interface CallOptions {
  /** graphql-http, graphql-sse, graphql-ws, trpc-http, trpc-sse, trpc-ws, cli, ... */
  transport: string;
  signal?: AbortSignal;
  /** The Idempotency-Key header, as sent (checked by `idempotencyKeyOf`). */
  idempotencyKey?: string | null;
  /** The API surface: GRAPHQL, TRPC, OPENAI, ANTHROPIC (recorded on the call's rows). */
  surface?: Surface;
  /** The SDK surfaces: the caller's wire-body fields sent upstream as they are (see UpstreamRequest.extraBody). */
  extraBody?: Record<string, unknown>;
  /** The SDK surfaces: keep the wire, handing the upstream's body or stream frames here (see CallContext.wire). */
  wire?: (text: string) => void;
}

/** The call's idempotency key: the header's (checked) when sent, else the input's (checked by its schema). */
export function idempotencyKeyOf(call: CallOptions, input: { idempotencyKey?: string | null }): string | undefined {
  if (call.idempotencyKey != null) {
    const parsed = idempotencyKeySchema.safeParse(call.idempotencyKey);
    if (!parsed.success) throw badInput('idempotencyKey', `Idempotency-Key header: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
    return parsed.data;
  }
  return input.idempotencyKey ?? undefined;
}
