// One row of the usage ledger: exactly one per upstream call, whatever its outcome.
import type { UpstreamApi, Usage } from '../../call-vocabulary.ts';

export type CallStatus = 'PENDING' | 'OK' | 'ERROR' | 'CANCELLED' | 'INTERRUPTED';

export interface UsageRow extends Usage {
  id: string;
  callId: string;
  attempt: number;
  userId: string;
  requestedModel: string;
  servedModel: string | null;
  api: UpstreamApi;
  gatewayId: string;
  status: CallStatus;
  errorCode: string | null;
  upstreamStatus: number | null;
  streamed: boolean;
  transport: string | null;
  costUsd: string | null;
  priceVersionId: string | null;
  latencyMs: number;
  timeToFirstTokenMs: number | null;
  cacheStatus: string | null;
  upstreamLogId: string | null;
  idempotencyKey: string | null;
  conversationId: string | null;
  createdAt: Date;
}
