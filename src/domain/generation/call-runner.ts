// The call pipeline (design.md "The call pipeline (v2)"): admit (reserve) -> for each upstream
// attempt: the row written ahead as PENDING (group commit, overlapping the request; no reply byte
// reaches the caller before it committed) -> the request with cf-aig-event-id = the row id ->
// the row finalised (OK / ERROR / CANCELLED) -> settle the reservation -> completion hooks.
// Retries (429 / 5xx / connection errors before any byte reached the caller) are attempts of
// their own: a row each, sharing the call's callId. Aborting the caller's signal stops the
// upstream request at once. generate and chat are two planners over this one pipeline.
import { AppError, toAppError } from '../../errors.ts';
import { uuidv7 } from '../../ids.ts';
import type { ChatMessage, UpstreamApi, UpstreamClient, UpstreamMeta, UpstreamRequest, UpstreamStream } from '../../call-vocabulary.ts';
import { UpstreamError } from '../../upstream/errors.ts';
import { retryDelay, sleep, type RetryPolicy } from '../../upstream/retry.ts';
import type { Ledger } from '../usage/ledger.ts';
import { traceAttempt } from '../../tracing.ts';
import type { Pricing } from '../usage/pricing.ts';
import { estimateInputTokens } from '../usage/usage-estimate.ts';
import type { UsageRow } from '../usage/usage-row.ts';
import type { Admission, Reservation } from './admission.ts';
import { finalRow, pendingRow, toGeneration, type Attempt, type AttemptEnd, type CallIdentity } from './attempt-row.ts';
import type { Generation, GenerationOutput, OutputStreamEvent } from './generation-view.ts';
import { OutputAccumulator } from './output-accumulator.ts';
import { requestFeatures } from './request-features.ts';
import { readAheadUntil } from './read-ahead.ts';
import type { GenerationOptions } from './schemas.ts';

export { estimateInputTokens } from '../usage/usage-estimate.ts';

/** Worst-case output when the caller sets no maxTokens, for reservations. */
export const DEFAULT_MAX_OUTPUT_TOKENS = 4_096;

export interface CallContext extends CallIdentity {
  signal?: AbortSignal;
}

export interface PreparedCall {
  /** The request of the first attempt: its eventId is the call's id and its first row's id. */
  request: UpstreamRequest;
  api: UpstreamApi;
}

/** How a call ended: handed to `onSettled` after its last attempt's row is committed. */
export interface CallOutcome {
  row: UsageRow;
  text: string;
  /** Tool calls the model made (possibly partial when the call failed). */
  toolCalls: GenerationOutput['toolCalls'];
  error?: AppError;
}

export interface RunOptions {
  /** Completion hook: called once the call's last row is committed, whatever the outcome. */
  onSettled?: (o: CallOutcome) => Promise<void>;
  /** A reservation the caller took with `admit` before its own preparations. */
  reservation?: Reservation;
}

export interface CallRunnerDeps {
  upstream: UpstreamClient;
  ledger: Ledger;
  pricing: Pricing;
  admission: Admission;
  /** Retries of one call, each an attempt with its own row (the client itself is built not to retry). */
  retry: RetryPolicy;
  /** This instance's lease id: stamped on its PENDING rows (see recovery.ts). */
  ownerId?: string | null;
  /** How long a ready reply waited for its write-ahead row (seconds; 0 when it was durable first). */
  onWriteAheadHold?: (streamed: boolean, seconds: number) => void;
  /** The caller's key's model allow-list (empty: any), checked again on the served model when a route served another. */
  allowedModelsOf?: (principal: CallContext['principal']) => Promise<readonly string[]>;
}

/** The call failed; `row` is its last attempt's final row (`stored` false when the database refused it). */
class CallFailed extends Error {
  constructor(readonly row: UsageRow, readonly error: AppError, readonly text: string, readonly stored: boolean, readonly toolCalls: GenerationOutput['toolCalls'] = []) {
    super(error.message);
  }
}

const isAbort = (error: unknown, signal: AbortSignal | undefined) => signal?.aborted === true || (error instanceof Error && error.name === 'AbortError');

function classify(error: unknown, signal: AbortSignal | undefined): { status: 'ERROR' | 'CANCELLED'; error: AppError } {
  const cancelled = isAbort(error, signal);
  const app = cancelled && !(error instanceof AppError) ? new AppError('UPSTREAM_ERROR', 'The call was cancelled', {}, { cause: error }) : toAppError(error);
  return { status: cancelled ? 'CANCELLED' : 'ERROR', error: app };
}

/** The database refused the row: the call fails with INTERNAL (the cause stays for the log). */
const unrecorded = (cause: unknown) => new AppError('INTERNAL', 'The call could not be recorded', {}, { cause });

export function createCallRunner({ upstream, ledger, pricing, admission, retry, ownerId = null, onWriteAheadHold, allowedModelsOf }: CallRunnerDeps) {
  /**
   * A route (dynamic/<route>, cloudflare/auto) may serve a model the key may not use: refused
   * before any output reaches the caller. Undefined when the served model is allowed.
   */
  async function servedRefusal(meta: Partial<UpstreamMeta>, request: UpstreamRequest, ctx: CallContext): Promise<AppError | undefined> {
    const served = meta.routedModel;
    if (!served || served === request.model || !allowedModelsOf) return undefined;
    const allowed = await allowedModelsOf(ctx.principal);
    if (allowed.length === 0 || allowed.includes(served)) return undefined;
    return new AppError('FORBIDDEN', `This API key may not use ${served}, the model ${request.model} was served with (its allow-list: ${allowed.join(', ')})`);
  }

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
      ...requestFeatures(options),
    };
    return { request, api };
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

  interface Opened<T> {
    value: T;
    /** Resolves once the attempt's PENDING row committed; rejects with CallFailed when it could not be. */
    durable: Promise<void>;
    attempt: Attempt;
    pending: UsageRow;
    request: UpstreamRequest;
  }

  /**
   * The attempts up to a response: each writes its PENDING row while its request goes out, and
   * only a response whose row committed is handed on. A refused or lost attempt is finalised
   * and, when the retry policy allows, followed by the next one.
   */
  async function open<T extends UpstreamMeta>(call: PreparedCall, ctx: CallContext, signal: AbortSignal | undefined, streamed: boolean, send: (request: UpstreamRequest) => Promise<T>, discard: (value: T) => void, deferDurable = false): Promise<Opened<T>> {
    const inputEstimate = estimateInputTokens(call.request);
    for (let n = 1; ; n++) {
      const id = n === 1 ? call.request.eventId : uuidv7();
      const attempt: Attempt = { id, callId: call.request.eventId, attempt: n, startedAt: performance.now(), createdAt: new Date(), inputEstimate };
      // A chat's conversation id is its session (cf-aig-session-id): one model per turn under a router, prompt caching.
      const base = ctx.conversationId && !call.request.sessionId ? { ...call.request, sessionId: ctx.conversationId } : call.request;
      const request = n === 1 ? base : { ...base, eventId: id };
      const pending = pendingRow(request, call.api, ctx, attempt, streamed, ownerId);
      const durable = ledger.begin(pending);
      durable.catch(() => {}); // awaited below, in every path
      let value: T;
      try {
        value = await send(request);
      } catch (thrown) {
        const { status, error } = classify(thrown, signal);
        const answered = !(thrown instanceof UpstreamError && thrown.details.upstreamStatus !== undefined);
        const row = finalRow(pending, attempt, { status, answered, text: '', error }, pricing);
        try {
          await durable;
        } catch (cause) {
          throw new CallFailed(row, unrecorded(cause), '', false);
        }
        await finishOrFail(row, '');
        const delay = status === 'ERROR' && thrown instanceof UpstreamError ? retryDelay(thrown, n - 1, retry) : undefined;
        if (delay === undefined) throw new CallFailed(row, error, '', true);
        try {
          await sleep(delay, signal);
        } catch (aborted) {
          throw new CallFailed(row, classify(aborted, signal).error, '', true);
        }
        continue;
      }
      const refusal = await servedRefusal(value, request, ctx).catch((error: unknown) => toAppError(error));
      if (refusal) {
        // Nothing of the reply is handed on: the upstream request ends, the row records the refusal.
        discard(value);
        const usage = 'usage' in value && typeof value.usage === 'object' && value.usage !== null ? (value.usage as AttemptEnd['usage']) : undefined;
        const meta: Partial<UpstreamMeta> = { api: value.api, routedModel: value.routedModel, cacheStatus: value.cacheStatus, upstreamLogId: value.upstreamLogId, neurons: value.neurons };
        const row = finalRow(pending, attempt, { status: 'ERROR', answered: true, text: '', error: refusal, meta, ...(usage && { usage }) }, pricing);
        try {
          await durable;
        } catch (cause) {
          throw new CallFailed(row, unrecorded(cause), '', false);
        }
        await finishOrFail(row, '');
        throw new CallFailed(row, refusal, '', true);
      }
      // A stream waits for its row while reading ahead (readAheadUntil); a finished reply waits here.
      const recorded = durable.catch((cause: unknown) => {
        discard(value);
        const row = finalRow(pending, attempt, { status: 'ERROR', answered: true, text: '', error: unrecorded(cause) }, pricing);
        throw new CallFailed(row, unrecorded(cause), '', false);
      });
      if (!deferDurable) {
        const ready = performance.now();
        await recorded;
        onWriteAheadHold?.(false, (performance.now() - ready) / 1000);
      } else recorded.catch(() => {}); // handled by the stream's consumer
      return { value, attempt, pending, request, durable: recorded };
    }
  }

  /** Finalises a row; a database failure here fails the call with INTERNAL. */
  async function finishOrFail(row: UsageRow, text: string): Promise<void> {
    traceAttempt(row);
    try {
      await ledger.finish(row);
    } catch (cause) {
      throw new CallFailed(row, unrecorded(cause), text, false);
    }
  }

  /** Settles the reservation, runs the completion hook (only for a row that exists), rethrows the failure. */
  async function fail(failure: unknown, reservation: Reservation, onSettled: RunOptions['onSettled']): Promise<never> {
    if (!(failure instanceof CallFailed)) throw failure;
    await reservation.settle(failure.row);
    if (failure.stored) await onSettled?.({ row: failure.row, text: failure.text, toolCalls: failure.toolCalls, error: failure.error });
    throw failure.error;
  }

  /** A non-streaming call (admitted here unless the caller already holds its reservation). */
  async function complete(call: PreparedCall, ctx: CallContext, { onSettled, reservation: held }: RunOptions = {}): Promise<Generation> {
    const reservation = held ?? (await admit(call, ctx));
    let row: UsageRow;
    let text: string;
    let output: GenerationOutput;
    try {
      const opened = await open(call, ctx, ctx.signal, false, (request) => upstream.complete(request, ctx.signal), () => {});
      const result = opened.value;
      text = result.text;
      output = OutputAccumulator.fromResult(result).output(call.request.responseFormat);
      row = finalRow(opened.pending, opened.attempt, { status: 'OK', usage: result.usage, answered: true, text, meta: result, finishReason: output.finishReason }, pricing);
      await finishOrFail(row, text);
    } catch (failure) {
      return fail(failure, reservation, onSettled);
    }
    await reservation.settle(row);
    await onSettled?.({ row, text, toolCalls: output.toolCalls });
    return toGeneration(row, text, output);
  }

  /** A streaming call: yields deltas, returns the generation once its last row is committed. */
  async function* stream(call: PreparedCall, ctx: CallContext, { onSettled, reservation: held }: RunOptions = {}): AsyncGenerator<OutputStreamEvent, Generation> {
    const reservation = held ?? (await admit(call, ctx));
    const controller = new AbortController();
    const onAbort = () => controller.abort(ctx.signal?.reason);
    ctx.signal?.addEventListener('abort', onAbort, { once: true });
    if (ctx.signal?.aborted) controller.abort(ctx.signal.reason);

    let opened: Opened<UpstreamStream>;
    try {
      opened = await open(call, ctx, controller.signal, true, (request) => upstream.stream(request, controller.signal), () => controller.abort(), true);
    } catch (failure) {
      ctx.signal?.removeEventListener('abort', onAbort);
      return yield* failStream(failure, reservation, onSettled);
    }

    const upstreamStream = opened.value;
    // The row's insert may still be in flight: read ahead meanwhile, hand on only once it committed.
    const events = readAheadUntil(upstreamStream, opened.durable, (ms) => onWriteAheadHold?.(true, ms / 1000));
    const end: AttemptEnd = {
      // Until a terminal event says otherwise, leaving this generator early means the client left.
      status: 'CANCELLED',
      answered: true,
      text: '',
      meta: {
        api: upstreamStream.api,
        servedModel: upstreamStream.servedModel,
        routedModel: upstreamStream.routedModel,
        cacheStatus: upstreamStream.cacheStatus,
        upstreamLogId: upstreamStream.upstreamLogId,
        neurons: upstreamStream.neurons,
      } satisfies UpstreamMeta,
    };
    const output = new OutputAccumulator();
    try {
      for await (const event of events) {
        if (event.type === 'usage') {
          end.usage = event.usage;
        } else if (event.type === 'done') {
          end.status = 'OK';
          output.finish(event);
          end.finishReason = output.finishReason;
          if (event.servedModel) end.meta = { ...end.meta, servedModel: event.servedModel };
        } else if (event.type === 'error') {
          throw event.error;
        } else {
          const out = output.apply(event);
          if (!out) continue;
          end.firstTokenAt ??= performance.now();
          end.text = output.text;
          yield out;
        }
      }
      if (end.status !== 'OK') throw new AppError('UPSTREAM_ERROR', 'The upstream stream ended without its terminal event');
    } catch (thrown) {
      const classified = classify(thrown, controller.signal);
      end.status = classified.status;
      end.error = classified.error;
    } finally {
      ctx.signal?.removeEventListener('abort', onAbort);
      if (end.status !== 'OK') controller.abort();
      const row = finalRow(opened.pending, opened.attempt, end, pricing);
      let finished: Generation | undefined;
      try {
        await finishOrFail(row, end.text);
        if (end.error) throw new CallFailed(row, end.error, end.text, true, output.toolCalls());
        await reservation.settle(row);
        await onSettled?.({ row, text: end.text, toolCalls: output.toolCalls() });
        finished = toGeneration(row, end.text, output.output(call.request.responseFormat));
      } catch (failure) {
        await fail(failure, reservation, onSettled).catch((error: unknown) => {
          // Cancelled: the consumer is gone, nobody reads this; an error goes to the caller.
          if (end.status !== 'CANCELLED' || !(failure instanceof CallFailed) || failure.stored === false) throw error;
        });
      }
      if (finished) return finished;
    }
    throw end.error ?? new AppError('UPSTREAM_ERROR', 'The call was cancelled');
  }

  async function* failStream(failure: unknown, reservation: Reservation, onSettled: RunOptions['onSettled']): AsyncGenerator<never, never> {
    await fail(failure, reservation, onSettled);
    throw new Error('unreachable');
  }

  return { prepare, admit, complete, stream };
}

export type CallRunner = ReturnType<typeof createCallRunner>;
