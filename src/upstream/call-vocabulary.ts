// The call vocabulary: the normalized request, result, usage and stream events shared by every
// layer (domain, upstream client, simulator, adapters). A leaf: it imports nothing of the project.
// The domain speaks only these types; src/upstream/formats/* map them to and from each wire.

export const UPSTREAM_APIS = ['CHAT_COMPLETIONS', 'RESPONSES', 'MESSAGES', 'RUN'] as const;
export type UpstreamApi = (typeof UPSTREAM_APIS)[number];

/** Contract v2: the model ids a call may name. */
export const MODEL_ID = /^[@A-Za-z0-9][A-Za-z0-9._:/@-]{0,127}$/;
/** The gateway ids the upstream accepts. */
export const GATEWAY_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
/** cf-aig-cache-ttl: whole seconds, 1 s to one month. */
export const MAX_CACHE_TTL_SECONDS = 2_592_000;
/** cf-aig-metadata: at most this many flat entries. */
export const MAX_METADATA_ENTRIES = 5;

export type ChatRole = 'system' | 'user' | 'assistant' | 'tool';

/** An image input: by URL, or inline base64 data with its media type (e.g. image/png). */
export type ImageInput = { url: string } | { data: string; mediaType: string };

/** A tool call the model made; `arguments` is JSON text (an object). */
export interface ToolCall {
  id: string;
  name: string;
  arguments: string;
}

export interface ChatMessage {
  role: ChatRole;
  content: string;
  /** user messages: images sent with the text. */
  images?: ImageInput[];
  /** assistant messages: the tool calls it made. */
  toolCalls?: ToolCall[];
  /** tool messages: the call this result answers. */
  toolCallId?: string;
}

/** A function the model may call; `parameters` is a JSON Schema (an object). */
export interface ToolDefinition {
  name: string;
  description?: string;
  parameters: Record<string, unknown>;
}

export type ToolChoice = { mode: 'AUTO' | 'NONE' | 'REQUIRED' } | { mode: 'TOOL'; name: string };

export type ResponseFormat =
  | { type: 'TEXT' }
  | { type: 'JSON_OBJECT' }
  | { type: 'JSON_SCHEMA'; name?: string; schema: Record<string, unknown>; strict?: boolean };

export type ReasoningEffort = 'LOW' | 'MEDIUM' | 'HIGH';

/** Normalized finish reasons; the provider's own value is kept apart as rawFinishReason. */
export const FINISH_REASONS = ['stop', 'length', 'tool_calls', 'content_filter'] as const;
export type FinishReason = (typeof FINISH_REASONS)[number];

export interface UpstreamRequest {
  /** Model id as requested, e.g. "openai/gpt-5.5", "anthropic/claude-sonnet-4-5", "@cf/moonshotai/kimi-k2.6". */
  model: string;
  messages: ChatMessage[];
  system?: string;
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  stop?: string[];
  tools?: ToolDefinition[];
  toolChoice?: ToolChoice;
  responseFormat?: ResponseFormat;
  reasoningEffort?: ReasoningEffort;
  /** Which endpoint; the router picks one when absent. */
  api?: UpstreamApi;
  /** RUN only: use the legacy /ai/run/@cf/{model} path instead of the universal /ai/run. */
  legacyRun?: boolean;
  gatewayId: string;
  cache?: { ttlSeconds?: number; skip?: boolean };
  /** -> cf-aig-metadata: at most 5 flat entries of string/number/boolean. */
  metadata?: Record<string, string | number | boolean>;
  /** -> cf-aig-request-timeout (ms). */
  requestTimeoutMs?: number;
  /** Switchboard's id for the call -> cf-aig-event-id (and, as 32 hex digits, cf-aig-otel-trace-id). */
  eventId: string;
  /**
   * Body fields sent as they are, over the ones built from this request (the SDK surfaces: every
   * field of the caller's own wire body that Switchboard does not control, read or not).
   */
  extraBody?: Record<string, unknown>;
  /** Keep the wire: the result carries the body as sent (`wire`), a stream its frames as `wire` events. */
  wire?: boolean;
  /** A non-text call (embeddings, image, transcription, speech); absent: a text generation. */
  task?: ModalityTask;
  /** -> cf-aig-session-id: a chat's conversation id (one model per turn under the Auto Router; prompt caching). */
  sessionId?: string;
}

/**
 * Token usage with every category apart (disjoint input categories, so each can be priced alone):
 * - inputTokens: input billed at the base rate (excludes cached reads and cache writes);
 * - cachedInputTokens: input read from the provider's prompt cache;
 * - cacheWriteTokens: input written to the prompt cache;
 * - outputTokens: all output as billed, reasoning included;
 * - reasoningTokens: the part of outputTokens spent on reasoning (informational, do not add again);
 * - totalTokens = inputTokens + cachedInputTokens + cacheWriteTokens + outputTokens.
 */
export interface Usage {
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
  cacheWriteTokens: number;
  reasoningTokens: number;
  totalTokens: number;
}

export interface UpstreamMeta {
  api: UpstreamApi;
  /** The model as the provider reported it in the reply body (informational: never the row's served model). */
  servedModel?: string;
  /** The full model id a route served the call with: cf-aig-routed-model (Auto Router) or cf-aig-model (dynamic routes). */
  routedModel?: string;
  cacheStatus?: string;
  upstreamLogId?: string;
  /** cf-ai-neurons: Workers AI's billed quantity, a decimal string. */
  neurons?: string;
}

export interface UpstreamResult extends UpstreamMeta {
  text: string;
  /** Normalized (stop, length, tool_calls, content_filter). */
  finishReason?: FinishReason;
  /** The provider's own finish / stop reason, as sent. */
  rawFinishReason?: string;
  toolCalls: ToolCall[];
  /** Reasoning (or its summary) where the upstream gives it. */
  reasoningText?: string;
  usage: Usage;
  /** The response body as the upstream sent it (only when the request asked to keep the wire). */
  wire?: string;
  /** A non-text call's output (set when the request had a task). */
  output?: ModalityOutput;
  /** A non-text call whose reply carried no token usage where one was expected (embeddings): estimate it. */
  usageMissing?: boolean;
  /** The units the upstream reported for a non-text call (e.g. the transcribed audio's duration). */
  reportedUnits?: Partial<BilledUnits>;
}

/**
 * One normalized event union for all four streaming formats. finishReason is normalized (stop,
 * length, tool_calls, content_filter), rawFinishReason is the provider's. A `toolCallDelta`
 * carries the call's index (0, 1, ... in the order calls start), its id and name on the first
 * fragment of that call (later ones may repeat them), and an argument fragment (possibly empty);
 * fragments of one call arrive in order and concatenate to its JSON arguments. An `error` event
 * carries an UpstreamError (src/upstream/errors.ts), or, when the caller's signal aborted, an
 * Error whose name is 'AbortError' (the signal's reason if it is one; a signal aborted with a
 * TimeoutError reason, e.g. AbortSignal.timeout(), gives UpstreamError UPSTREAM_TIMEOUT instead).
 */
export type UpstreamEvent =
  | { type: 'delta'; text: string }
  | { type: 'toolCallDelta'; index: number; id?: string; name?: string; argumentsDelta: string }
  | { type: 'reasoningDelta'; text: string }
  | { type: 'usage'; usage: Usage }
  | { type: 'done'; finishReason?: FinishReason; rawFinishReason?: string; servedModel?: string }
  | { type: 'error'; error: Error }
  /** Keep-the-wire streams only: one SSE frame as the upstream sent it, before the events mapped from it. */
  | { type: 'wire'; text: string };

export interface UpstreamStream extends UpstreamMeta, AsyncIterable<UpstreamEvent> {}

export interface UpstreamClient {
  /** Non-streaming call. Throws UpstreamError (see errors.ts), AppError('BAD_INPUT') before any I/O, or an AbortError when the signal aborts. */
  complete(request: UpstreamRequest, signal?: AbortSignal): Promise<UpstreamResult>;
  /**
   * Streaming call. Resolves once the response headers arrived (errors before that throw, after
   * retries); the iterable then yields deltas, usage and exactly one terminal `done` or `error`.
   * Aborting the signal closes the upstream socket at once: before the headers the promise
   * rejects with an AbortError; after them the iterator ends with an `error` event carrying an
   * AbortError. Breaking out of the loop also destroys the upstream request. The iterator never
   * throws for upstream problems.
   */
  stream(request: UpstreamRequest, signal?: AbortSignal): Promise<UpstreamStream>;
  /** The API a model is routed to by default (the configurable routing table). */
  routeFor(model: string): UpstreamApi;
  /** Cloudflare's gateway list (GET /accounts/{id}/ai-gateway/gateways, every page). */
  listGateways(signal?: AbortSignal): Promise<Array<{ id: string; createdAt?: string }>>;
  close(): Promise<void>;
}

export const emptyUsage = (): Usage => ({
  inputTokens: 0,
  outputTokens: 0,
  cachedInputTokens: 0,
  cacheWriteTokens: 0,
  reasoningTokens: 0,
  totalTokens: 0,
});

// Other modalities of the universal endpoint (embeddings, images, transcription, speech): the
// request carries a `task`, the result its `output` and the units it is billed on.

export const MODALITIES = ['TEXT', 'EMBEDDING', 'IMAGE', 'TRANSCRIPTION', 'SPEECH'] as const;
export type Modality = (typeof MODALITIES)[number];

/** The units a non-text call is billed on (embedding tokens are its input tokens). */
export interface BilledUnits {
  images: number;
  /** 512x512 tiles of the generated image(s). */
  imageTiles: number;
  imageSteps: number;
  /** Input audio (transcription) or generated audio (speech priced per minute), seconds, 3 decimals. */
  audioSeconds: number;
  /** Input characters (speech). */
  characters: number;
}

export const noUnits = (): BilledUnits => ({ images: 0, imageTiles: 0, imageSteps: 0, audioSeconds: 0, characters: 0 });

/** What a non-text call asks for, in Switchboard's terms; src/upstream/formats/modalities.ts maps it to each model's wire body. */
export type ModalityTask =
  | { kind: 'EMBEDDING'; texts: string[]; dimensions?: number }
  | { kind: 'IMAGE'; prompt: string; negativePrompt?: string; width?: number; height?: number; steps?: number; seed?: number }
  | { kind: 'TRANSCRIPTION'; audio: Buffer; mediaType?: string; language?: string }
  | { kind: 'SPEECH'; text: string; voice?: string; language?: string };

export interface MediaData {
  mediaType: string;
  /** base64 */
  data: string;
}

export interface TranscriptSegment {
  start: number;
  end: number;
  text: string;
}

/** What a non-text call produced. */
export type ModalityOutput =
  | { kind: 'EMBEDDING'; vectors: number[][] }
  | { kind: 'IMAGE'; images: MediaData[] }
  | { kind: 'TRANSCRIPTION'; text: string; language?: string; durationSeconds?: number; segments: TranscriptSegment[] }
  | { kind: 'SPEECH'; audio: MediaData; durationSeconds?: number };
