// What generate and chat return, and the events their streams yield.
import type { BilledUnits, FinishReason, Modality, ToolCall, UpstreamApi, Usage } from '../../upstream/call-vocabulary.ts';
import type { JsonError } from './json-output.ts';

export interface GenerationUsage extends Usage, Partial<BilledUnits> {
  /** Decimal string; null when the model has no price. */
  costUsd: string | null;
  /** The upstream reported no usage: the tokens are estimated (src/domain/ledger/usage-estimate.ts). */
  estimated: boolean;
  /** What the call produced (absent in results stored before modalities existed: TEXT). */
  modality?: Modality;
}

/** What a call produced beyond its text. */
export interface GenerationOutput {
  toolCalls: ToolCall[];
  /** The parsed JSON when JSON was asked and it parsed and matched; else null. */
  json: unknown;
  /** Why json is null although JSON was asked (the raw text stays in `text`). */
  jsonError: JsonError | null;
  reasoningText: string | null;
  /** Normalized: stop, length, tool_calls, content_filter. */
  finishReason: FinishReason | null;
  /** The provider's own finish / stop reason. */
  rawFinishReason: string | null;
}

export interface Generation extends GenerationOutput {
  /** The usage record's id. */
  id: string;
  text: string;
  /** The model the caller named. */
  model: string;
  /** The model that served the call (cf-aig-model / cf-aig-routed-model, else the requested one). */
  servedModel: string;
  /** Answered from AI Gateway's cache: cost 0. */
  cacheHit: boolean;
  api: UpstreamApi;
  gatewayId: string;
  usage: GenerationUsage;
  cacheStatus: string | null;
  upstreamLogId: string | null;
  latencyMs: number;
  timeToFirstTokenMs: number | null;
  /** Reconciliation with Cloudflare's log: UNCHECKED until a run has checked the row. */
  reconciliation: 'UNCHECKED' | 'MATCHED' | 'DRIFT' | 'MISSING_UPSTREAM';
  upstreamCostUsd: string | null;
  upstreamTokensIn: number | null;
  upstreamTokensOut: number | null;
}

export interface TextDeltaEvent {
  type: 'delta';
  index: number;
  text: string;
}

export interface ToolCallDeltaEvent {
  type: 'toolCallDelta';
  /** Which call (0, 1, ... in the order calls start). */
  index: number;
  /** Sent with the call's first fragment. */
  id: string | null;
  name: string | null;
  argumentsDelta: string;
}

export interface ReasoningDeltaEvent {
  type: 'reasoningDelta';
  text: string;
}

/** The content events of a stream (text, tool-call fragments, reasoning). */
export type OutputStreamEvent = TextDeltaEvent | ToolCallDeltaEvent | ReasoningDeltaEvent;

export type GenerationEvent = OutputStreamEvent | { type: 'completed'; generation: Generation };
