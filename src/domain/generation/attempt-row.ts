// The ledger rows of one call's attempts: the PENDING row written ahead of each upstream
// request, and its final state. Also the Generation a finished row turns into.
import { noUnits, type BilledUnits, type UpstreamApi, type UpstreamMeta, type UpstreamRequest, type Usage } from '../../upstream/call-vocabulary.ts';
import { hasUnits } from '../pricing/unit-prices.ts';
import type { AppError } from '../../platform/errors.ts';
import type { Principal } from '../access/principal.ts';
import { estimatedUsage } from '../ledger/usage-estimate.ts';
import type { Pricing } from '../pricing/pricing.ts';
import { surfaceOf, type CallStatus, type Surface, type UsageRow } from '../ledger/usage-row.ts';
import type { Generation, GenerationOutput, GenerationUsage } from './generation-view.ts';

export interface CallIdentity {
  principal: Principal;
  transport: string;
  /** The API surface that carried the call (absent: told from the transport, GraphQL or tRPC). */
  surface?: Surface;
  idempotencyKey?: string | null;
  conversationId?: string | null;
}

/** One upstream attempt: its row id (= cf-aig-event-id), number and clocks. */
export interface Attempt {
  id: string;
  callId: string;
  attempt: number;
  startedAt: number;
  createdAt: Date;
  /** The input estimate for this request (kept on the PENDING row). */
  inputEstimate: number;
}

export interface AttemptEnd {
  status: Exclude<CallStatus, 'PENDING' | 'INTERRUPTED'>;
  /** The usage the upstream reported; undefined when it reported none. */
  usage?: Usage;
  /** False when the upstream refused the request (non-2xx before any output): 0 tokens. */
  answered: boolean;
  text: string;
  meta?: Partial<UpstreamMeta>;
  error?: AppError;
  firstTokenAt?: number;
  finishReason?: string | null;
  /** A non-text call's billed units (absent: the planned units when it was answered, else none). */
  units?: BilledUnits;
}

const unitsOfRow = (row: UsageRow): BilledUnits => ({
  images: row.images ?? 0,
  imageTiles: row.imageTiles ?? 0,
  imageSteps: row.imageSteps ?? 0,
  audioSeconds: row.audioSeconds ?? 0,
  characters: row.characters ?? 0,
});

/** A non-text call's PENDING row: its modality and planned units (the upper bound, kept so recovery can price it). */
export function withPlannedUnits(row: UsageRow, call: { request: UpstreamRequest; plan?: { units: BilledUnits } }): UsageRow {
  if (!call.request.task || !call.plan) return row;
  return { ...row, modality: call.request.task.kind, ...call.plan.units };
}

export function pendingRow(request: UpstreamRequest, api: UpstreamApi, who: CallIdentity, a: Attempt, streamed: boolean, ownerId: string | null): UsageRow {
  return {
    id: a.id,
    callId: a.callId,
    attempt: a.attempt,
    ownerId,
    userId: who.principal.userId,
    apiKeyId: who.principal.keyId ?? null,
    teamId: who.principal.teamId ?? null,
    tags: request.metadata ?? null,
    requestedModel: request.model,
    // Until a routing header names another, the requested model is the one serving the call.
    servedModel: request.model,
    api,
    gatewayId: request.gatewayId,
    status: 'PENDING',
    errorCode: null,
    upstreamStatus: null,
    streamed,
    transport: who.transport,
    surface: who.surface ?? surfaceOf(who.transport),
    // The PENDING row carries the input estimate, so recovery can price an interrupted call.
    inputTokens: a.inputEstimate,
    outputTokens: 0,
    cachedInputTokens: 0,
    cacheWriteTokens: 0,
    reasoningTokens: 0,
    totalTokens: a.inputEstimate,
    costUsd: null,
    priceVersionId: null,
    latencyMs: 0,
    timeToFirstTokenMs: null,
    cacheStatus: null,
    upstreamLogId: null,
    idempotencyKey: who.idempotencyKey ?? null,
    conversationId: who.conversationId ?? null,
    usageEstimated: true,
    finishReason: null,
    cacheHit: false,
    cacheSavedUsd: null,
    neurons: null,
    createdAt: a.createdAt,
    finishedAt: null,
  };
}

export function finalRow(pending: UsageRow, a: Attempt, end: AttemptEnd, pricing: Pricing): UsageRow {
  // Reported usage as is; none reported: a refused request carries 0 tokens, anything the
  // upstream may have worked on (answered, aborted, cut, timed out) carries the estimate.
  const estimated = end.usage === undefined && end.answered;
  const usage = end.usage ?? (end.answered ? estimatedUsage(a.inputEstimate, end.text) : estimatedUsage(0, ''));
  // Priced by the model that served the call (a route may serve another than the one named).
  const servedModel = end.meta?.routedModel ?? pending.requestedModel;
  const neurons = end.meta?.neurons ?? null;
  // A non-text call: what it was billed on; none reported, the planned units when it was answered.
  const units = pending.modality === undefined || pending.modality === 'TEXT' ? undefined : (end.units ?? (end.answered ? unitsOfRow(pending) : noUnits()));
  const billed = end.status === 'OK' || usage.totalTokens > 0 || neurons !== null || (units !== undefined && hasUnits(units));
  const cost = billed ? pricing.costOf(servedModel, usage, a.createdAt, units, neurons) : { costUsd: null, priceVersionId: null };
  // A cache hit is not billed by the provider: cost 0, and what it saved is kept beside it.
  const cacheHit = end.meta?.cacheStatus === 'HIT';
  const upstreamStatus = end.error?.details.upstreamStatus;
  return {
    ...pending,
    ...usage,
    servedModel,
    api: end.meta?.api ?? pending.api,
    status: end.status,
    errorCode: end.error?.code ?? null,
    upstreamStatus: typeof upstreamStatus === 'number' ? upstreamStatus : null,
    costUsd: cacheHit ? '0' : cost.costUsd,
    priceVersionId: cost.priceVersionId,
    cacheHit,
    cacheSavedUsd: cacheHit ? cost.costUsd : null,
    neurons,
    latencyMs: Math.round(performance.now() - a.startedAt),
    timeToFirstTokenMs: end.firstTokenAt === undefined ? null : Math.round(end.firstTokenAt - a.startedAt),
    cacheStatus: end.meta?.cacheStatus ?? null,
    upstreamLogId: end.meta?.upstreamLogId ?? null,
    usageEstimated: estimated,
    finishReason: end.finishReason ?? null,
    finishedAt: new Date(),
    ...units,
  };
}

/** A finished row's usage as the API shows it (tokens, cost, modality and units). */
export function usageOf(row: UsageRow): GenerationUsage {
  return {
    inputTokens: row.inputTokens,
    outputTokens: row.outputTokens,
    cachedInputTokens: row.cachedInputTokens,
    cacheWriteTokens: row.cacheWriteTokens,
    reasoningTokens: row.reasoningTokens,
    totalTokens: row.totalTokens,
    costUsd: row.costUsd,
    estimated: row.usageEstimated,
    modality: row.modality ?? 'TEXT',
    ...unitsOfRow(row),
  };
}

export function toGeneration(row: UsageRow, text: string, output: GenerationOutput): Generation {
  return {
    id: row.id,
    text,
    ...output,
    model: row.requestedModel,
    servedModel: row.servedModel ?? row.requestedModel,
    cacheHit: row.cacheHit,
    api: row.api,
    gatewayId: row.gatewayId,
    usage: usageOf(row),
    cacheStatus: row.cacheStatus,
    upstreamLogId: row.upstreamLogId,
    latencyMs: row.latencyMs,
    timeToFirstTokenMs: row.timeToFirstTokenMs,
    // A live call has not been reconciled yet (Cloudflare's log appears later).
    reconciliation: 'UNCHECKED',
    upstreamCostUsd: null,
    upstreamTokensIn: null,
    upstreamTokensOut: null,
  };
}
