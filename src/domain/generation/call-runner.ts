// The call pipeline (docs/architecture.md, "The call pipeline"): admit (reserve) -> for each upstream
// attempt: the row written ahead as PENDING (group commit, overlapping the request; no reply byte
// reaches the caller before it committed) -> the request with cf-aig-event-id = the row id ->
// the row finalised (OK / ERROR / CANCELLED) -> settle the reservation -> completion hooks.
// Retries (429 / 5xx / connection errors before any byte reached the caller) are attempts of
// their own: a row each, sharing the call's callId. Aborting the caller's signal stops the
// upstream request at once. generate and chat are two planners over this one pipeline.
//
// The ledger fails closed: while its database is known unreachable a call is refused
// (UNAVAILABLE) before admission and before any retry; an attempt whose PENDING insert fails has
// its upstream request aborted at once, fails UNAVAILABLE, and its final row is handed to the
// ledger to be written when the database is back; a finish not written within FINISH_WAIT_MS
// fails the call UNAVAILABLE while the ledger keeps retrying it.
import { AppError, toAppError, unavailable } from '../../platform/errors.ts';
import { uuidv7 } from '../../platform/ids.ts';
import type { BilledUnits, ChatMessage, UpstreamApi, UpstreamClient, UpstreamMeta, UpstreamRequest, UpstreamResult, UpstreamStream } from '../../upstream/call-vocabulary.ts';
import { UpstreamError } from '../../upstream/errors.ts';
import { retryDelay, sleep, type RetryPolicy } from '../../upstream/retry.ts';
import type { Ledger } from '../ledger/ledger.ts';
import { traceAttempt } from '../../platform/tracing.ts';
import type { Pricing } from '../pricing/pricing.ts';
import { estimateInputTokens } from '../ledger/usage-estimate.ts';
import { inputTokenBound } from '../limits/reservation-bound.ts';
import type { UsageRow } from '../ledger/usage-row.ts';
import type { Admission, Reservation } from './admission.ts';
import { finalRow, pendingRow, toGeneration, withPlannedUnits, type Attempt, type AttemptEnd, type CallIdentity } from './attempt-row.ts';
import type { Generation, GenerationOutput, OutputStreamEvent } from './generation-view.ts';
import { OutputAccumulator } from './output-accumulator.ts';
import { DEFAULT_MAX_OUTPUT_TOKENS, outputCapFor } from './output-caps.ts';
import { requestFeatures } from './request-features.ts';
import { readAheadUntil } from './read-ahead.ts';
import type { GenerationOptions } from './schemas.ts';

export { estimateInputTokens } from '../ledger/usage-estimate.ts';

/** How long a call waits for its final row to be written before it answers UNAVAILABLE (the ledger keeps retrying). */
export const FINISH_WAIT_MS = 5_000;

/** The output cap sent (and reserved) when neither the caller nor the model catalogue gives one. */
export { DEFAULT_MAX_OUTPUT_TOKENS } from './output-caps.ts';

export interface CallContext extends CallIdentity {
  signal?: AbortSignal;
  /** Keep-the-wire calls (request.wire): receives the upstream's body, or each stream frame, once its row committed. */
  wire?: (text: string) => void;
}

export interface PreparedCall {
  /** The request of the first attempt: its eventId is the call's id and its first row's id. */
  request: UpstreamRequest;
  api: UpstreamApi;
  /** A non-text call (request.task): what it reserves and how its result is billed. */
  plan?: TaskPlan;
}

/** How a non-text call is reserved and billed (the modality planners build one, src/domain/modalities/). */
export interface TaskPlan {
  /** Upper bounds, reserved before the call: input tokens (embeddings) and units. The PENDING row carries them. */
  inputTokens: number;
  units: BilledUnits;
  /** The units the call is billed on, from its result. */
  unitsOf(result: UpstreamResult): BilledUnits;
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
  /** DEFAULT_MAX_OUTPUT_TOKENS: the output cap sent when neither the call nor the catalogue gives one. */
  defaultMaxOutputTokens?: number;
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

/**
 * The row could not be written: UNAVAILABLE when the ledger's database cannot take it now (the
 * ledger's own error), INTERNAL when the database refused the row itself (the cause stays for the log).
 */
const unrecorded = (cause: unknown) =>
  cause instanceof AppError && cause.code === 'UNAVAILABLE' ? cause : new AppError('INTERNAL', 'The call could not be recorded', {}, { cause });
const begunUnwritable = (error: AppError) => error.code === 'UNAVAILABLE';

/** Resolves with false when `work` has not settled within ms (work keeps running). */
function within(work: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  return Promise.race([work.then(() => true), late]).finally(() => clearTimeout(timer));
}

export function createCallRunner({ upstream, ledger, pricing, admission, retry, ownerId = null, onWriteAheadHold, defaultMaxOutputTokens = DEFAULT_MAX_OUTPUT_TOKENS, allowedModelsOf }: CallRunnerDeps) {
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

  /**
   * Builds the upstream request; the gateway is already resolved and checked. Every request
   * carries an output cap: the caller's maxTokens, else the model's (output-caps.ts), so what
   * admit reserves bounds what the call can be billed.
   */
  function prepare(options: GenerationOptions, messages: ChatMessage[], gatewayId: string): PreparedCall {
    const api = options.api ?? upstream.routeFor(options.model);
    const maxTokens = options.maxTokens ?? outputCapFor(options.model, api, options.reasoningEffort ?? undefined, defaultMaxOutputTokens);
    const request: UpstreamRequest = {
      model: options.model,
      messages,
      api,
      gatewayId,
      eventId: uuidv7(),
      ...(options.system != null && { system: options.system }),
      maxTokens,
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

  /** Limits and budgets: RATE_LIMITED / BUDGET_EXCEEDED before anything goes upstream (UNAVAILABLE first while the ledger cannot record); the reservation is the call's upper bound. */
  async function admit(call: PreparedCall, ctx: CallContext): Promise<Reservation> {
    ledger.assertWritable();
    return admission.admit({
      principal: ctx.principal,
      model: call.request.model,
      // A modality's plan bounds its own input and units; a text call's output is its cap.
      maxTokens: call.plan ? 0 : (call.request.maxTokens ?? outputCapFor(call.request.model, call.api, call.request.reasoningEffort, defaultMaxOutputTokens)),
      inputTokenBound: call.plan?.inputTokens ?? inputTokenBound(call.request),
      ...(call.plan && { units: call.plan.units }),
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
  async function open<T extends UpstreamMeta>(call: PreparedCall, ctx: CallContext, signal: AbortSignal | undefined, streamed: boolean, send: (request: UpstreamRequest, signal: AbortSignal) => Promise<T>, discard: (value: T) => void, deferDurable = false): Promise<Opened<T>> {
    const inputEstimate = call.plan?.inputTokens ?? estimateInputTokens(call.request);
    for (let n = 1; ; n++) {
      const id = n === 1 ? call.request.eventId : uuidv7();
      const attempt: Attempt = { id, callId: call.request.eventId, attempt: n, startedAt: performance.now(), createdAt: new Date(), inputEstimate };
      // A chat's conversation id is its session (cf-aig-session-id): one model per turn under a router, prompt caching.
      const base = ctx.conversationId && !call.request.sessionId ? { ...call.request, sessionId: ctx.conversationId } : call.request;
      const request = n === 1 ? base : { ...base, eventId: id };
      const pending = withPlannedUnits(pendingRow(request, call.api, ctx, attempt, streamed, ownerId), call);
      // The attempt's own abort: the caller's signal, or its row's insert failing (fail closed).
      const attemptAbort = new AbortController();
      const forward = () => attemptAbort.abort(signal?.reason);
      signal?.addEventListener('abort', forward, { once: true });
      if (signal?.aborted) forward();
      const durable = ledger.begin(pending);
      durable.catch((cause: unknown) => attemptAbort.abort(unrecorded(cause)));
      /** The attempt's row could not be inserted: its final row goes to the ledger for later (the request may have left). */
      const notBegun = (cause: unknown): CallFailed => {
        const error = unrecorded(cause);
        const row = finalRow(pending, attempt, { status: 'ERROR', answered: true, text: '', error }, pricing);
        if (begunUnwritable(error)) ledger.finish(row, { begun: false }).catch(() => {});
        return new CallFailed(row, error, '', false);
      };
      let value: T;
      try {
        value = await send(request, attemptAbort.signal);
      } catch (thrown) {
        signal?.removeEventListener('abort', forward);
        const { status, error } = classify(thrown, signal);
        const answered = !(thrown instanceof UpstreamError && thrown.details.upstreamStatus !== undefined);
        const row = finalRow(pending, attempt, { status, answered, text: '', error }, pricing);
        try {
          await durable;
        } catch (cause) {
          throw notBegun(cause);
        }
        await finishOrFail(row, '');
        const delay = status === 'ERROR' && thrown instanceof UpstreamError ? retryDelay(thrown, n - 1, retry) : undefined;
        if (delay === undefined) throw new CallFailed(row, error, '', true);
        try {
          await sleep(delay, signal);
          // No retry while the ledger cannot record it: the call ends with this attempt's error.
          ledger.assertWritable();
        } catch (stopped) {
          throw new CallFailed(row, stopped instanceof AppError ? stopped : classify(stopped, signal).error, '', true);
        }
        continue;
      }
      if (!streamed) signal?.removeEventListener('abort', forward);
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
          throw notBegun(cause);
        }
        await finishOrFail(row, '');
        throw new CallFailed(row, refusal, '', true);
      }
      // A stream waits for its row while reading ahead (readAheadUntil); a finished reply waits here.
      const recorded = durable.catch((cause: unknown) => {
        discard(value);
        throw notBegun(cause);
      });
      if (!deferDurable) {
        const ready = performance.now();
        await recorded;
        onWriteAheadHold?.(false, (performance.now() - ready) / 1000);
      } else recorded.catch(() => {}); // handled by the stream's consumer
      return { value, attempt, pending, request, durable: recorded };
    }
  }

  /**
   * Finalises a row. A row the database refuses fails the call with INTERNAL; one not written
   * within FINISH_WAIT_MS (the database unreachable) fails it with UNAVAILABLE while the ledger
   * keeps retrying it (recovery marks it INTERRUPTED should this process die first).
   */
  async function finishOrFail(row: UsageRow, text: string): Promise<void> {
    traceAttempt(row);
    let written: boolean;
    try {
      written = await within(ledger.finish(row), FINISH_WAIT_MS);
    } catch (cause) {
      throw new CallFailed(row, unrecorded(cause), text, false);
    }
    if (!written) throw new CallFailed(row, unavailable('The call was made but its record could not be written yet (the ledger database does not answer); it is written when the database is back', undefined), text, false);
  }

  /** Settles the reservation, runs the completion hook (only for a row that exists), rethrows the failure. */
  async function fail(failure: unknown, reservation: Reservation, onSettled: RunOptions['onSettled']): Promise<never> {
    if (!(failure instanceof CallFailed)) throw failure;
    await reservation.settle(failure.row);
    if (failure.stored) await onSettled?.({ row: failure.row, text: failure.text, toolCalls: failure.toolCalls, error: failure.error });
    throw failure.error;
  }

  /** A reservation the caller took earlier goes back when the ledger cannot record the call. */
  async function writableOrRelease(held: Reservation | undefined): Promise<void> {
    try {
      ledger.assertWritable();
    } catch (error) {
      await held?.release();
      throw error;
    }
  }

  /** A non-streaming call (admitted here unless the caller already holds its reservation). */
  async function complete(call: PreparedCall, ctx: CallContext, options: RunOptions = {}): Promise<Generation> {
    return completeWith(call, ctx, options, (row, result, output) => toGeneration(row, result.text, output));
  }

  /**
   * A non-streaming call of any kind (text or a modality's task): the result is handed to `view`
   * with its committed row once the reservation is settled.
   */
  async function completeWith<T>(call: PreparedCall, ctx: CallContext, { onSettled, reservation: held }: RunOptions, view: (row: UsageRow, result: UpstreamResult, output: GenerationOutput) => T): Promise<T> {
    await writableOrRelease(held);
    const reservation = held ?? (await admit(call, ctx));
    let row: UsageRow;
    let result: UpstreamResult;
    let output: GenerationOutput;
    try {
      const opened = await open(call, ctx, ctx.signal, false, (request, signal) => upstream.complete(request, signal), () => {});
      result = opened.value;
      if (result.wire !== undefined) ctx.wire?.(result.wire);
      output = OutputAccumulator.fromResult(result).output(call.request.responseFormat);
      const usage = result.usageMissing ? undefined : result.usage;
      const units = call.plan?.unitsOf(result);
      row = finalRow(opened.pending, opened.attempt, { status: 'OK', usage, answered: true, text: result.text, meta: result, finishReason: output.finishReason, ...(units && { units }) }, pricing);
      await finishOrFail(row, result.text);
    } catch (failure) {
      return fail(failure, reservation, onSettled);
    }
    await reservation.settle(row);
    await onSettled?.({ row, text: result.text, toolCalls: output.toolCalls });
    return view(row, result, output);
  }

  /** A streaming call: yields deltas, returns the generation once its last row is committed. */
  async function* stream(call: PreparedCall, ctx: CallContext, { onSettled, reservation: held }: RunOptions = {}): AsyncGenerator<OutputStreamEvent, Generation> {
    await writableOrRelease(held);
    const reservation = held ?? (await admit(call, ctx));
    const controller = new AbortController();
    const onAbort = () => controller.abort(ctx.signal?.reason);
    ctx.signal?.addEventListener('abort', onAbort, { once: true });
    if (ctx.signal?.aborted) controller.abort(ctx.signal.reason);

    let opened: Opened<UpstreamStream>;
    try {
      opened = await open(call, ctx, controller.signal, true, (request, signal) => upstream.stream(request, signal), () => controller.abort(), true);
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
    /** Set when the attempt's PENDING row could not be inserted (its final row is already handed to the ledger). */
    let notBegun: CallFailed | undefined;
    try {
      for await (const event of events) {
        if (event.type === 'wire') {
          ctx.wire?.(event.text);
        } else if (event.type === 'usage') {
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
          const first = end.firstTokenAt === undefined;
          end.firstTokenAt ??= performance.now();
          end.text = output.text;
          yield out;
          // A burst (several events in one read, or a whole cached reply) is parsed in one run of
          // microtasks, and the response's writes are coalesced until it ends: yield the event
          // loop once, so the first delta reaches the socket before the rest is parsed.
          if (first) await new Promise((resolve) => setImmediate(resolve));
        }
      }
      if (end.status !== 'OK') throw new AppError('UPSTREAM_ERROR', 'The upstream stream ended without its terminal event');
    } catch (thrown) {
      if (thrown instanceof CallFailed) {
        notBegun = thrown;
        end.status = 'ERROR';
        end.error = thrown.error;
      } else {
        const classified = classify(thrown, controller.signal);
        end.status = classified.status;
        end.error = classified.error;
      }
    } finally {
      ctx.signal?.removeEventListener('abort', onAbort);
      if (end.status !== 'OK') controller.abort();
      const row = notBegun?.row ?? finalRow(opened.pending, opened.attempt, end, pricing);
      let finished: Generation | undefined;
      try {
        if (notBegun) throw notBegun;
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

  return { prepare, admit, complete, completeWith, stream };
}

export type CallRunner = ReturnType<typeof createCallRunner>;
