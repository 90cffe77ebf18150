// What generate and chat return, and the events their streams yield.
import type { UpstreamApi, Usage } from '../../call-vocabulary.ts';

export interface GenerationUsage extends Usage {
  /** Decimal string; null when the model has no price. */
  costUsd: string | null;
}

export interface Generation {
  /** The usage record's id. */
  id: string;
  text: string;
  model: string;
  servedModel: string | null;
  api: UpstreamApi;
  gatewayId: string;
  finishReason: string | null;
  usage: GenerationUsage;
  cacheStatus: string | null;
  upstreamLogId: string | null;
  latencyMs: number;
  timeToFirstTokenMs: number | null;
}

export interface TextDeltaEvent {
  type: 'delta';
  index: number;
  text: string;
}

export type GenerationEvent = TextDeltaEvent | { type: 'completed'; generation: Generation };
