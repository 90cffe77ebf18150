// What one drop-in route is: a method and path of an SDK's wire format, the surface it records,
// the error envelope its SDK reads, and how it serves a call. The node:http glue
// (src/http/compat-handler.ts) authenticates, reads the body and answers errors; a route only
// parses its SDK body, hands it to a domain service and writes the SDK reply. A new route (for
// example /v1/embeddings over an `embed` operation) is one file exporting a CompatRoute, listed
// in routes.ts.
import type { Principal } from '../domain/access/principal.ts';
import type { CallOptions } from '../domain/call-options.ts';
import type { Services } from '../domain/services.ts';
import type { Surface } from '../domain/ledger/usage-row.ts';
import type { AppError } from '../platform/errors.ts';

export type Json = Record<string, unknown>;

/** Whose error envelope and status rules a route answers with (error-envelopes.ts). */
export type Envelope = 'openai' | 'anthropic';

/** A stream of SSE text to the client: the head goes out with the first frame (balance headers included). */
export interface EventSink {
  write(frame: string): void;
  /** Whether any frame went out (then errors go as an error frame, not as a status). */
  readonly started: boolean;
}

/** One authenticated request, as a route sees it. */
export interface CompatCall {
  services: Services;
  principal: Principal;
  /** The client sent `anthropic-version` (the Anthropic SDK does). */
  anthropicClient: boolean;
  /** The JSON body (POST routes; an object, checked by the glue). */
  body: Json;
  /**
   * The call options the domain takes: surface, transport, the client's abort signal, the
   * Idempotency-Key header. `streaming` names the transport; `wire` keeps the upstream's own bytes.
   */
  options(extra: { streaming: boolean; extraBody?: Json; wire?: (text: string) => void }): CallOptions;
  /** The request's x-switchboard-gateway-id and x-switchboard-tags, as GenerateInput fields (checked by its schema). */
  headerInput(): { gatewayId?: string; metadata?: unknown };
  /** Answers 200 with a JSON text (or value) and the caller's balance headers. */
  json(body: string | Json): Promise<void>;
  /** Opens an event stream whose head is written with the first frame. */
  events(): EventSink;
  /** Ends an event stream (after the head and its frames are flushed). */
  endEvents(): Promise<void>;
}

export interface CompatRoute {
  method: 'GET' | 'POST';
  path: string;
  surface: Surface;
  envelope: Envelope;
  /** The operation name on the access line. */
  operation: string;
  serve(call: CompatCall): Promise<void>;
  /** An error after the stream's head went out, as one frame of this wire format. */
  errorFrame?(error: AppError): string;
}
