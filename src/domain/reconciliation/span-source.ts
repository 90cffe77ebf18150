// Log sources over the gateway's OpenTelemetry export: the spans /otlp/v1/traces stored, read as
// logs (a span's trace id names its row, so its "event id" is the row id), and the two sources
// together for RECONCILE_SOURCE=both (the logs API first; a span adds only what no log said).
import type { PrismaClient } from '../../db/index.ts';
import type { GatewayLog, LogSource } from './log-source.ts';

const PAGE = 1_000;

interface SpanRow {
  traceId: string;
  rowId: string | null;
  loggedAt: Date;
  model: string | null;
  provider: string | null;
  success: boolean | null;
  statusCode: number | null;
  tokensIn: number | null;
  tokensOut: number | null;
  costUsd: string | null;
  metadata: string | null;
}

/**
 * The stored spans of a gateway's range, oldest first, a page at a time. A span belongs to the
 * gateway of the row it names; a span naming no row (MISSING_LOCAL) is counted under the
 * default gateway, since a span does not say which gateway sent it.
 */
export function otlpSpanSource({ prisma, defaultGatewayId }: { prisma: PrismaClient; defaultGatewayId: string }): LogSource {
  return {
    async *pages(range) {
      let after: { at: Date; traceId: string } | undefined;
      for (;;) {
        const rows = await prisma.$queryRawUnsafe<SpanRow[]>(
          `SELECT s."traceId", s."rowId"::text AS "rowId", s."loggedAt", s."model", s."provider", s."success", s."statusCode", s."tokensIn", s."tokensOut",
                  s."costUsd"::text AS "costUsd", s."metadata"
           FROM "OtlpSpan" s LEFT JOIN "UsageRecord" u ON u."id" = s."rowId"
           WHERE s."loggedAt" >= $1::timestamptz AND s."loggedAt" < $2::timestamptz
             AND (u."gatewayId" = $3 OR (u."id" IS NULL AND $4::boolean))
             AND (s."loggedAt", s."traceId") > ($5::timestamptz, $6::text)
           ORDER BY s."loggedAt", s."traceId" LIMIT ${PAGE}`,
          range.from.toISOString(),
          range.to.toISOString(),
          range.gatewayId,
          range.gatewayId === defaultGatewayId,
          (after?.at ?? new Date(0)).toISOString(),
          after?.traceId ?? '',
        );
        if (rows.length > 0) {
          yield rows.map(
            (r): GatewayLog => ({
              id: r.traceId,
              createdAt: r.loggedAt,
              eventId: r.rowId,
              provider: r.provider,
              model: r.model,
              success: r.success,
              statusCode: r.statusCode,
              tokensIn: r.tokensIn,
              tokensOut: r.tokensOut,
              costUsd: r.costUsd,
              metadata: r.metadata,
            }),
          );
        }
        if (rows.length < PAGE) return;
        const last = rows[rows.length - 1]!;
        after = { at: last.loggedAt, traceId: last.traceId };
      }
    },
  };
}

/**
 * Both sources: every log of the logs API, then the spans whose row no log named. Holds the
 * range's event ids in memory (one short string per request of the range).
 */
export function combinedLogSource(logs: LogSource, spans: LogSource): LogSource {
  return {
    async *pages(range, signal) {
      const seen = new Set<string>();
      for await (const page of logs.pages(range, signal)) {
        for (const log of page) if (log.eventId) seen.add(log.eventId.toLowerCase());
        yield page;
      }
      for await (const page of spans.pages(range, signal)) {
        const rest = page.filter((span) => span.eventId === null || !seen.has(span.eventId.toLowerCase()));
        if (rest.length > 0) yield rest;
      }
    },
  };
}
