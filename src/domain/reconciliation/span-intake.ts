// Spans of the gateway's OpenTelemetry export, matched to ledger rows as they arrive. Each call
// sends cf-aig-otel-trace-id = its row id as 32 hex digits, so a span's trace id names its row
// exactly. A span is stored once per trace id (a duplicate changes nothing), and its row, when
// it is finished, takes Cloudflare's tokens and cost beside its own and the state they give
// (MATCHED or DRIFT, by the same rule and tolerances as a reconciliation run). A row still in
// flight, and rows no span ever names (MISSING_UPSTREAM), are settled by `reconcileUsage`, which
// reads the stored spans as a log source (span-source.ts).
import type { Database } from '../../db/index.ts';
import { AppError } from '../../platform/errors.ts';
import { decodeTraces, OtlpDecodeError, type ExportedSpan } from '../../upstream/otlp/decode.ts';
import { fullModelId } from '../../upstream/headers.ts';
import { stateSql } from './apply-sql.ts';
import { COST_TOLERANCE_ABS_USD, COST_TOLERANCE_REL } from './reconciliation-service.ts';

/** A span as the intake stores it (decoded by src/upstream/otlp/decode.ts). */
export type ReceivedSpan = ExportedSpan;

/** The row id (UUID form) a 32-hex-digit trace id stands for. */
export const rowIdOfTrace = (traceId: string): string =>
  `${traceId.slice(0, 8)}-${traceId.slice(8, 12)}-${traceId.slice(12, 16)}-${traceId.slice(16, 20)}-${traceId.slice(20, 32)}`;

/** $1: the spans as JSON (OtlpSpan rows). */
const INCOMING = `(SELECT "traceId" FROM json_populate_recordset(NULL::"OtlpSpan", $1::json))`;

const INSERT_SQL = `INSERT INTO "OtlpSpan" ("traceId", "spanId", "rowId", "loggedAt", "model", "provider", "success", "statusCode", "tokensIn", "tokensOut", "costUsd", "metadata")
  SELECT DISTINCT ON ("traceId") "traceId", "spanId", "rowId", "loggedAt", "model", "provider", "success", "statusCode", "tokensIn", "tokensOut", "costUsd", "metadata"
  FROM json_populate_recordset(NULL::"OtlpSpan", $1::json) ON CONFLICT ("traceId") DO NOTHING`;

/** Both statements take $1 (the spans), $2 and $3 (the cost tolerances), in that order. */
const withTolerances = (sql: string) => `WITH "params" AS (SELECT $2::numeric AS "abs", $3::numeric AS "rel") ${sql}`;

/** $1's served models (each span's `servedModel`, made by fullModelId), one per trace id. */
const INCOMING_SERVED = `(SELECT DISTINCT ON ("traceId") "traceId", "servedModel" FROM json_to_recordset($1::json) AS j("traceId" text, "servedModel" text))`;

const APPLY_SQL = [
  // An INTERRUPTED row (estimated usage) takes Cloudflare's tokens, cost and served model (a routed
  // call cut before its reply's headers knows only the route it asked for).
  `UPDATE "UsageRecord" u SET "inputTokens" = s."tokensIn", "cachedInputTokens" = 0, "cacheWriteTokens" = 0, "outputTokens" = s."tokensOut",
     "reasoningTokens" = 0, "totalTokens" = s."tokensIn" + s."tokensOut", "costUsd" = coalesce(s."costUsd", u."costUsd"), "usageEstimated" = false,
     "servedModel" = coalesce(i."servedModel", u."servedModel")
   FROM "OtlpSpan" s JOIN ${INCOMING_SERVED} i ON i."traceId" = s."traceId"
   WHERE u."id" = s."rowId" AND u."status" = 'INTERRUPTED' AND u."usageEstimated"
     AND s."tokensIn" IS NOT NULL AND s."tokensOut" IS NOT NULL`,
  // Finished rows: Cloudflare's figures beside ours, and the state (only what differs changes).
  `UPDATE "UsageRecord" u SET "upstreamTokensIn" = m."tokensIn", "upstreamTokensOut" = m."tokensOut", "upstreamCostUsd" = m."costUsd",
     "upstreamSuccess" = m."success", "upstreamStatusCode" = m."statusCode", "reconciliation" = m."state", "reconciledAt" = now()
   FROM (SELECT s."rowId", s."tokensIn", s."tokensOut", s."costUsd", s."success", s."statusCode", ${stateSql('$2::numeric', '$3::numeric')} AS "state"
         FROM "OtlpSpan" s JOIN "UsageRecord" u ON u."id" = s."rowId"
         WHERE s."traceId" IN ${INCOMING} AND u."status" <> 'PENDING') AS m
   WHERE u."id" = m."rowId" AND (u."reconciliation" IS DISTINCT FROM m."state" OR u."upstreamTokensIn" IS DISTINCT FROM m."tokensIn"
     OR u."upstreamTokensOut" IS DISTINCT FROM m."tokensOut" OR u."upstreamCostUsd" IS DISTINCT FROM m."costUsd"
     OR u."upstreamSuccess" IS DISTINCT FROM m."success" OR u."upstreamStatusCode" IS DISTINCT FROM m."statusCode")`,
].map(withTolerances);

export interface SpanIntake {
  /** Stores the spans (once per trace id) and matches them to their rows; resolves when committed. */
  receive(spans: readonly ReceivedSpan[]): Promise<void>;
  /**
   * One OTLP/HTTP export body (protobuf or JSON, by its content type): decoded, then received.
   * A body that is not an ExportTraceServiceRequest is BAD_INPUT. Resolves to the spans read.
   */
  receiveExport(body: Buffer, contentType: string | undefined): Promise<number>;
}

export function createSpanIntake({ db }: { db: Pick<Database, 'execute'> }): SpanIntake {
  async function receive(spans: readonly ReceivedSpan[]): Promise<void> {
    if (spans.length === 0) return;
    const json = JSON.stringify(
      spans.map((s) => ({
        traceId: s.traceId,
        spanId: s.spanId,
        rowId: rowIdOfTrace(s.traceId),
        loggedAt: s.at.toISOString(),
        model: s.model,
        provider: s.provider,
        // Not a column: the span's served model as a full id, for an INTERRUPTED row (APPLY_SQL).
        servedModel: fullModelId(s.model, s.provider) ?? null,
        success: s.success,
        statusCode: s.statusCode,
        tokensIn: s.tokensIn,
        tokensOut: s.tokensOut,
        costUsd: s.costUsd,
        metadata: s.metadata,
      })),
    );
    await db.execute(withTolerances(INSERT_SQL), [json, COST_TOLERANCE_ABS_USD, COST_TOLERANCE_REL]);
    for (const sql of APPLY_SQL) await db.execute(sql, [json, COST_TOLERANCE_ABS_USD, COST_TOLERANCE_REL]);
  }

  async function receiveExport(body: Buffer, contentType: string | undefined): Promise<number> {
    let spans: ReceivedSpan[];
    try {
      spans = decodeTraces(body, contentType);
    } catch (error) {
      if (error instanceof OtlpDecodeError) throw new AppError('BAD_INPUT', error.message, { field: 'body' }, { cause: error });
      throw error;
    }
    // Spans of other traces than a Switchboard call's (all zeros is no trace) are not ours to keep.
    const ours = spans.filter((s) => s.traceId !== '0'.repeat(32));
    for (let i = 0; i < ours.length; i += 1_000) await receive(ours.slice(i, i + 1_000));
    return ours.length;
  }

  return { receive, receiveExport };
}
