// What metrics and traces read of a finished ledger row. The domain's UsageRow
// (domain/ledger/usage-row.ts) has every field, so platform code takes rows without importing the domain.
export interface AttemptFacts {
  id: string;
  callId: string;
  attempt: number;
  requestedModel: string;
  servedModel: string | null;
  api: string;
  gatewayId: string;
  status: string;
  streamed: boolean;
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
  cacheWriteTokens: number;
  reasoningTokens: number;
  costUsd: string | null;
  upstreamStatus: number | null;
  upstreamLogId: string | null;
  errorCode: string | null;
  createdAt: Date;
  latencyMs: number;
  timeToFirstTokenMs: number | null;
}
