// recentCalls / usage.recentCalls: the ledger's rows, newest first, with the dashboard's filters
// (status, model, gateway, key, team, latency, time to first token, tokens, cost, estimated,
// reconciliation state) and a keyset cursor (createdAt, id), so a page costs one index range scan.
import type { PrismaClient } from '../../db/index.ts';
import { Prisma } from '../../db/index.ts';
import { AppError } from '../../platform/errors.ts';
import { decodeKeyset, encodeKeyset } from '../keyset-cursor.ts';
import type { Principal } from '../access/principal.ts';
import type { RecentCallsInput, ReconcileState } from './dashboard-schemas.ts';
import { normalizeDecimal } from '../pricing/pricing.ts';
import type { ReportScope } from './report-scope.ts';
import type { CallStatus } from '../ledger/usage-row.ts';

export interface CallRecord {
  id: string;
  callId: string;
  attempt: number;
  createdAt: Date;
  finishedAt: Date | null;
  userId: string;
  userEmail: string | null;
  apiKeyId: string | null;
  teamId: string | null;
  tags: unknown;
  model: string;
  servedModel: string | null;
  /** Answered from AI Gateway's cache: cost 0. */
  cacheHit: boolean;
  api: string;
  gatewayId: string;
  status: CallStatus;
  errorCode: string | null;
  streamed: boolean;
  latencyMs: number;
  timeToFirstTokenMs: number | null;
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
  reasoningTokens: number;
  totalTokens: number;
  costUsd: string | null;
  usageEstimated: boolean;
  reconciliation: ReconcileState;
  upstreamCostUsd: string | null;
  conversationId: string | null;
}

export interface CallRecordPage {
  rows: CallRecord[];
  /** Pass as `after` for the next page; null on the last page. */
  nextCursor: string | null;
}

const DEFAULT_PAGE = 50;

const encodeCursor = (row: { createdAt: Date; id: string }): string => encodeKeyset({ at: row.createdAt, id: row.id });

function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  const { at, id } = decodeKeyset(cursor);
  return { createdAt: at, id };
}

const between = <T>(min: T | null | undefined, max: T | null | undefined) =>
  min == null && max == null ? undefined : { ...(min != null && { gte: min }), ...(max != null && { lte: max }) };

export function createRecentCalls({ prisma, scopeOf }: { prisma: PrismaClient; scopeOf: ReportScope }) {
  async function list(principal: Principal, input: RecentCallsInput): Promise<CallRecordPage> {
    const userId = await scopeOf(principal, input);
    const first = input.first ?? DEFAULT_PAGE;
    const cursor = input.after != null ? decodeCursor(input.after) : undefined;
    const where: Prisma.UsageRecordWhereInput = {
      createdAt: { gte: input.from, lt: input.to },
      ...(userId && { userId }),
      ...(input.status?.length && { status: { in: input.status } }),
      ...(input.model && { AND: [{ OR: [{ requestedModel: input.model }, { servedModel: input.model }] }] }),
      ...(input.gatewayId && { gatewayId: input.gatewayId }),
      ...(input.apiKeyId && { apiKeyId: input.apiKeyId }),
      ...(input.teamId && { teamId: input.teamId }),
      ...(input.estimated != null && { usageEstimated: input.estimated }),
      ...(input.reconciliation?.length && { reconciliation: { in: input.reconciliation } }),
    };
    const latency = between(input.minLatencyMs, input.maxLatencyMs);
    const ttft = between(input.minTimeToFirstTokenMs, input.maxTimeToFirstTokenMs);
    const tokens = between(input.minTotalTokens, input.maxTotalTokens);
    const cost = between(input.minCostUsd, input.maxCostUsd);
    if (latency) where.latencyMs = latency;
    if (ttft) where.timeToFirstTokenMs = ttft;
    if (tokens) where.totalTokens = tokens;
    if (cost) where.costUsd = cost;
    if (cursor) {
      where.OR = [{ createdAt: { lt: cursor.createdAt } }, { createdAt: cursor.createdAt, id: { lt: cursor.id } }];
    }
    const found = await prisma.usageRecord.findMany({ where, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], take: first + 1 });
    const page = found.slice(0, first);
    const userIds = [...new Set(page.map((r) => r.userId))];
    const users = userIds.length
      ? await prisma.user.findMany({ where: { id: { in: userIds } }, select: { id: true, email: true } })
      : [];
    const emails = new Map(users.map((u) => [u.id, u.email]));
    return {
      rows: page.map((r) => ({
        id: r.id,
        callId: r.callId,
        attempt: r.attempt,
        createdAt: r.createdAt,
        finishedAt: r.finishedAt,
        userId: r.userId,
        userEmail: emails.get(r.userId) ?? null,
        apiKeyId: r.apiKeyId,
        teamId: r.teamId,
        tags: r.tags,
        model: r.requestedModel,
        servedModel: r.servedModel,
        cacheHit: r.cacheHit,
        api: r.api,
        gatewayId: r.gatewayId,
        status: r.status,
        errorCode: r.errorCode,
        streamed: r.streamed,
        latencyMs: r.latencyMs,
        timeToFirstTokenMs: r.timeToFirstTokenMs,
        inputTokens: r.inputTokens,
        outputTokens: r.outputTokens,
        cachedInputTokens: r.cachedInputTokens,
        reasoningTokens: r.reasoningTokens,
        totalTokens: r.totalTokens,
        costUsd: r.costUsd === null ? null : normalizeDecimal(r.costUsd),
        usageEstimated: r.usageEstimated,
        reconciliation: r.reconciliation,
        upstreamCostUsd: r.upstreamCostUsd === null ? null : normalizeDecimal(r.upstreamCostUsd),
        conversationId: r.conversationId,
      })),
      nextCursor: found.length > first ? encodeCursor(page[page.length - 1]!) : null,
    };
  }
  return { list };
}

export type RecentCalls = ReturnType<typeof createRecentCalls>;
