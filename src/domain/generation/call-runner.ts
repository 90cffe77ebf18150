// Runs one upstream call, streamed or not, and leaves exactly one usage record for it whatever
// happens: OK, ERROR (upstream or network failure) or CANCELLED (the client went away). The
// record is committed before the caller sees the result. Aborting the caller's signal stops
// the upstream request at once.
import { AppError, toAppError } from '../../errors.ts';
import { uuidv7 } from '../../ids.ts';
import { emptyUsage, type ChatMessage, type UpstreamApi, type UpstreamClient, type UpstreamMeta, type UpstreamRequest, type Usage } from '../../call-vocabulary.ts';
import type { Principal } from '../access/principal.ts';
import type { Ledger } from '../usage/ledger.ts';
import { traceAttempt } from '../../tracing.ts';
import type { Pricing } from '../usage/pricing.ts';
import type { CallStatus, UsageRow } from '../usage/usage-row.ts';
import type { Admission, Reservation } from './admission.ts';
import type { Generation, TextDeltaEvent } from './generation-view.ts';
import type { GenerationOptions } from './schemas.ts';

/** Worst-case output when the caller sets no maxTokens, for reservations. */
export const DEFAULT_MAX_OUTPUT_TOKENS = 4_096;

export interface CallContext {
  principal: Principal;
  /** graphql-http, graphql-sse, graphql-ws, trpc-http, trpc-sse, trpc-ws, ... */
  transport: string;
  signal?: AbortSignal;
  idempotencyKey?: string | null;
  conversationId?: string | null;
}

export interface PreparedCall {
  request: UpstreamRequest;
  api: UpstreamApi;
}

/** How a call ended: handed to `onSettled` after its usage record is committed. */
export interface CallOutcome {
  row: UsageRow;
  text: string;
  error?: AppError;
}

export interface RunOptions {
  /** Called once the call's usage record is committed, whatever the outcome. */
  onSettled?: (o: CallOutcome) => Promise<void>;
  /** A reservation the caller took with `admit` before its own preparations. */
  reservation?: Reservation;
}

export interface CallRunnerDeps {
  upstream: UpstreamClient;
  ledger: Ledger;
  pricing: Pricing;
  admission: Admission;
}

export function createCallRunner({ upstream, ledger, pricing, admission }: CallRunnerDeps) {
  /** Builds the upstream request; the gateway is already resolved and checked. */
  function prepare(options: GenerationOptions, messages: ChatMessage[], gatewayId: string): PreparedCall {
    const api = options.api ?? upstream.routeFor(options.model);
    const request: UpstreamRequest = {
      model: options.model,
      messages,
      api,
      gatewayId,
      eventId: uuidv7(),
      ...(options.system != null && { system: options.system }),
      ...(options.maxTokens != null && { maxTokens: options.maxTokens }),
      ...(options.temperature != null && { temperature: options.temperature }),
      ...(options.cache && {
        cache: {
          ...(options.cache.ttlSeconds != null && { ttlSeconds: options.cache.ttlSeconds }),
          ...(options.cache.skip != null && { skip: options.cache.skip }),
        },
      }),
      ...(options.metadata && { metadata: options.metadata }),
    };
    return { request, api };
  }

  function buildRow(call: PreparedCall, ctx: CallContext, o: { status: CallStatus; usage: Usage; meta?: Partial<UpstreamMeta>; error?: AppError; startedAt: number; firstTokenAt?: number; streamed: boolean; createdAt: Date }): UsageRow {
    const { request } = call;
    const cost = o.status === 'OK' || o.usage.totalTokens > 0 ? pricing.costOf(request.model, o.usage, o.createdAt) : { costUsd: null, priceVersionId: null };
    const upstreamStatus = o.error?.details.upstreamStatus;
    return {
      id: request.eventId,
      callId: request.eventId,
      attempt: 1,
      userId: ctx.principal.userId,
      requestedModel: request.model,
      servedModel: o.meta?.servedModel ?? null,
      api: call.api,
      gatewayId: request.gatewayId,
      status: o.status,
      errorCode: o.error?.code ?? null,
      upstreamStatus: typeof upstreamStatus === 'number' ? upstreamStatus : null,
      streamed: o.streamed,
      transport: ctx.transport,
      ...o.usage,
      costUsd: cost.costUsd,
      priceVersionId: cost.priceVersionId,
      latencyMs: Math.round(performance.now() - o.startedAt),
      timeToFirstTokenMs: o.firstTokenAt === undefined ? null : Math.round(o.firstTokenAt - o.startedAt),
      cacheStatus: o.meta?.cacheStatus ?? null,
      upstreamLogId: o.meta?.upstreamLogId ?? null,
      idempotencyKey: ctx.idempotencyKey ?? null,
      conversationId: ctx.conversationId ?? null,
      createdAt: o.createdAt,
    };
  }

  function toGeneration(row: UsageRow, text: string, finishReason: string | null): Generation {
    return {
      id: row.id,
      text,
      model: row.requestedModel,
      servedModel: row.servedModel,
      api: row.api,
      gatewayId: row.gatewayId,
      finishReason,
      usage: {
        inputTokens: row.inputTokens,
        outputTokens: row.outputTokens,
        cachedInputTokens: row.cachedInputTokens,
        cacheWriteTokens: row.cacheWriteTokens,
        reasoningTokens: row.reasoningTokens,
        totalTokens: row.totalTokens,
        costUsd: row.costUsd,
      },
      cacheStatus: row.cacheStatus,
      upstreamLogId: row.upstreamLogId,
      latencyMs: row.latencyMs,
      timeToFirstTokenMs: row.timeToFirstTokenMs,
    };
  }

  /** Limits and budgets: RATE_LIMITED / BUDGET_EXCEEDED before anything goes upstream. */
  async function admit(call: PreparedCall, ctx: CallContext): Promise<Reservation> {
    return admission.admit({
      principal: ctx.principal,
      model: call.request.model,
      maxTokens: call.request.maxTokens ?? DEFAULT_MAX_OUTPUT_TOKENS,
      estimatedInputTokens: estimateInputTokens(call.request),
    });
  }

  /** Records the call, settles its reservation, then tells the caller how it ended. */
  async function settle(row: UsageRow, reservation: Reservation, outcome: Omit<CallOutcome, 'row'>, onSettled?: (o: CallOutcome) => Promise<void>) {
    traceAttempt(row);
    await ledger.record(row);
    await reservation.settle(row);
    await onSettled?.({ row, ...outcome });
  }

  function classify(error: unknown, signal: AbortSignal | undefined): { status: CallStatus; error: AppError } {
    const cancelled = signal?.aborted === true || (error instanceof Error && error.name === 'AbortError');
    const app = cancelled && !(error instanceof AppError) ? new AppError('UPSTREAM_ERROR', 'The call was cancelled', {}, { cause: error }) : toAppError(error);
    return { status: cancelled ? 'CANCELLED' : 'ERROR', error: app };
  }

  /** A non-streaming call (admitted here unless the caller already holds its reservation). */
  async function complete(call: PreparedCall, ctx: CallContext, { onSettled, reservation: held }: RunOptions = {}): Promise<Generation> {
    const reservation = held ?? (await admit(call, ctx));
    const startedAt = performance.now();
    const createdAt = new Date();
    try {
      const result = await upstream.complete(call.request, ctx.signal);
      const row = buildRow(call, ctx, { status: 'OK', usage: result.usage, meta: result, startedAt, streamed: false, createdAt });
      await settle(row, reservation, { text: result.text }, onSettled);
      return toGeneration(row, result.text, result.finishReason ?? null);
    } catch (thrown) {
      if (thrown instanceof SettledError) throw thrown.cause;
      const { status, error } = classify(thrown, ctx.signal);
      const row = buildRow(call, ctx, { status, usage: emptyUsage(), error, startedAt, streamed: false, createdAt });
      await settle(row, reservation, { text: '', error }, onSettled).catch((e) => {
        throw new SettledError(e);
      });
      throw error;
    }
  }

  /** A streaming call: yields deltas, returns the generation once its record is committed. */
  async function* stream(call: PreparedCall, ctx: CallContext, { onSettled, reservation: held }: RunOptions = {}): AsyncGenerator<TextDeltaEvent, Generation> {
    const reservation = held ?? (await admit(call, ctx));
    const startedAt = performance.now();
    const createdAt = new Date();
    const controller = new AbortController();
    const onAbort = () => controller.abort(ctx.signal?.reason);
    ctx.signal?.addEventListener('abort', onAbort, { once: true });
    if (ctx.signal?.aborted) controller.abort(ctx.signal.reason);

    let text = '';
    let index = 0;
    let usage: Usage = emptyUsage();
    let meta: Partial<UpstreamMeta> | undefined;
    let firstTokenAt: number | undefined;
    let finishReason: string | null = null;
    // Until a terminal event says otherwise, leaving this generator early means the client left.
    let status: CallStatus = 'CANCELLED';
    let failure: AppError | undefined;
    try {
      const upstreamStream = await upstream.stream(call.request, controller.signal);
      meta = { api: upstreamStream.api, servedModel: upstreamStream.servedModel, cacheStatus: upstreamStream.cacheStatus, upstreamLogId: upstreamStream.upstreamLogId };
      for await (const event of upstreamStream) {
        if (event.type === 'delta') {
          if (event.text === '') continue;
          firstTokenAt ??= performance.now();
          text += event.text;
          yield { type: 'delta', index: index++, text: event.text };
        } else if (event.type === 'usage') {
          usage = event.usage;
        } else if (event.type === 'done') {
          status = 'OK';
          finishReason = event.finishReason ?? null;
          if (event.servedModel) meta = { ...meta, servedModel: event.servedModel };
        } else {
          throw event.error;
        }
      }
      if (status !== 'OK') throw new AppError('UPSTREAM_ERROR', 'The upstream stream ended without its terminal event');
    } catch (thrown) {
      const classified = classify(thrown, controller.signal);
      status = classified.status;
      failure = classified.error;
    } finally {
      ctx.signal?.removeEventListener('abort', onAbort);
      if (status !== 'OK') controller.abort();
      const row = buildRow(call, ctx, { status, usage, meta, error: failure, startedAt, firstTokenAt, streamed: true, createdAt });
      await settle(row, reservation, { text, ...(failure && { error: failure }) }, onSettled);
      if (failure && status === 'ERROR') throw failure;
      if (status === 'OK') return toGeneration(row, text, finishReason);
    }
    // Cancelled: the consumer is gone, nobody reads this.
    throw failure ?? new AppError('UPSTREAM_ERROR', 'The call was cancelled');
  }

  return { prepare, admit, complete, stream };
}

export type CallRunner = ReturnType<typeof createCallRunner>;

/** Input tokens a request may use, estimated as ~4 characters a token (rounded up), for reservations. */
export function estimateInputTokens(request: Pick<UpstreamRequest, 'system' | 'messages'>): number {
  let chars = request.system?.length ?? 0;
  for (const m of request.messages) chars += m.content.length;
  return Math.ceil(chars / 4) + 4 * request.messages.length;
}

/** A failure to record the outcome (database down): it wins over the upstream error. */
class SettledError extends Error {
  constructor(override readonly cause: unknown) {
    super('could not record the call');
  }
}
