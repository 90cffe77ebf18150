// One row of the usage ledger: exactly one per upstream attempt (HTTP request), written ahead as
// PENDING and finalised once (OK, ERROR, CANCELLED; INTERRUPTED by recovery).
import type { BilledUnits, Modality, UpstreamApi, Usage } from '../../upstream/call-vocabulary.ts';

export type CallStatus = 'PENDING' | 'OK' | 'ERROR' | 'CANCELLED' | 'INTERRUPTED';

/** The API surface a call came in by: the two typed APIs and the SDK drop-in wire formats. */
export const SURFACES = ['GRAPHQL', 'TRPC', 'OPENAI', 'ANTHROPIC'] as const;
export type Surface = (typeof SURFACES)[number];

/** The surface of a call whose adapter named none: tRPC transports are trpc-*, the rest GraphQL. */
export const surfaceOf = (transport: string | null | undefined): Surface => (transport?.startsWith('trpc') ? 'TRPC' : 'GRAPHQL');

/** A non-text call's row: its modality and billed units (absent: TEXT, no units; the ledger writes those defaults). */
export interface ModalityColumns extends Partial<BilledUnits> {
  modality?: Modality;
}

export interface UsageRow extends Usage, ModalityColumns {
  id: string;
  callId: string;
  attempt: number;
  /** The instance that owns the row while it is PENDING (its InstanceLease id). */
  ownerId: string | null;
  userId: string;
  /** Attribution: the API key and team of the caller, and the request's metadata as tags. */
  apiKeyId: string | null;
  teamId: string | null;
  tags: Record<string, string | number | boolean> | null;
  /** What the caller named (may be dynamic/<route> or cloudflare/auto). */
  requestedModel: string;
  /** The model that served the call (routing headers, else the requested one); prices and reports use it. Null only on rows written before it was kept. */
  servedModel: string | null;
  api: UpstreamApi;
  gatewayId: string;
  status: CallStatus;
  errorCode: string | null;
  upstreamStatus: number | null;
  streamed: boolean;
  transport: string | null;
  /** The API surface that carried the call (GRAPHQL, TRPC, OPENAI, ANTHROPIC). */
  surface: Surface;
  costUsd: string | null;
  priceVersionId: string | null;
  latencyMs: number;
  timeToFirstTokenMs: number | null;
  cacheStatus: string | null;
  upstreamLogId: string | null;
  idempotencyKey: string | null;
  conversationId: string | null;
  /** The upstream reported no usage: the tokens are estimated (see estimate.ts). */
  usageEstimated: boolean;
  finishReason: string | null;
  /** Answered from AI Gateway's cache (cf-aig-cache-status: HIT): cost 0. */
  cacheHit: boolean;
  /** For a cache hit: what the call would have cost at the served model's price. */
  cacheSavedUsd: string | null;
  /** cf-ai-neurons: Workers AI's billed quantity, a decimal string. */
  neurons: string | null;
  createdAt: Date;
  finishedAt: Date | null;
}
