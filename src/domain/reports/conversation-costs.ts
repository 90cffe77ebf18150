// conversationCosts / usage.conversationCosts: the conversations active in a range (most recently
// active first) with what each cost over its whole life: calls, tokens and the exact decimal sum
// of its ledger rows' costs (null when none was priced). Reads the ledger through its
// conversationId index, so the cost is independent of the ledger's size.
import type { PrismaClient } from '../../db/index.ts';
import type { Principal } from '../access/principal.ts';
import type { ConversationCostsInput } from './dashboard-schemas.ts';
import { normalizeDecimal } from '../pricing/pricing.ts';
import type { ReportScope } from './report-scope.ts';

export interface ConversationCost {
  conversationId: string;
  title: string;
  model: string;
  userId: string;
  userEmail: string;
  createdAt: Date;
  updatedAt: Date;
  requests: number;
  totalTokens: number;
  costUsd: string | null;
}

interface RawCost {
  conversationId: string;
  title: string;
  model: string;
  userId: string;
  userEmail: string;
  createdAt: Date;
  updatedAt: Date;
  requests: string;
  totalTokens: string;
  costUsd: string | null;
}

const DEFAULT_COUNT = 20;

export function createConversationCosts({ prisma, scopeOf }: { prisma: PrismaClient; scopeOf: ReportScope }) {
  async function list(principal: Principal, input: ConversationCostsInput): Promise<ConversationCost[]> {
    const userId = await scopeOf(principal, input);
    const params: unknown[] = [input.from.toISOString(), input.to.toISOString(), input.first ?? DEFAULT_COUNT];
    const byUser = userId ? ` AND c."userId" = $${params.push(userId)}::uuid` : '';
    const raw = await prisma.$queryRawUnsafe<RawCost[]>(
      `WITH c AS (
         SELECT c."id", c."title", c."model", c."userId", c."createdAt", c."updatedAt" FROM "Conversation" c
         WHERE c."updatedAt" >= $1::timestamptz AND c."createdAt" < $2::timestamptz${byUser}
         ORDER BY c."updatedAt" DESC, c."id" DESC LIMIT $3::int)
       SELECT c."id" AS "conversationId", c."title", c."model", c."userId", u."email" AS "userEmail", c."createdAt", c."updatedAt",
              count(r."id")::text AS "requests", coalesce(sum(r."totalTokens"), 0)::text AS "totalTokens", sum(r."costUsd")::text AS "costUsd"
       FROM c JOIN "User" u ON u."id" = c."userId" LEFT JOIN "UsageRecord" r ON r."conversationId" = c."id"
       GROUP BY c."id", c."title", c."model", c."userId", u."email", c."createdAt", c."updatedAt"
       ORDER BY c."updatedAt" DESC, c."id" DESC`,
      ...params,
    );
    return raw.map((r) => ({
      conversationId: r.conversationId,
      title: r.title,
      model: r.model,
      userId: r.userId,
      userEmail: r.userEmail,
      createdAt: new Date(r.createdAt),
      updatedAt: new Date(r.updatedAt),
      requests: Number(r.requests),
      totalTokens: Number(r.totalTokens),
      costUsd: r.costUsd === null ? null : normalizeDecimal(r.costUsd),
    }));
  }
  return { list };
}

export type ConversationCosts = ReturnType<typeof createConversationCosts>;
