// A subject's books as the ledger has them: what seeds the limit stores after a restart (the
// in-process store) or when Redis lost its keys (flush, eviction, a new Redis). Every row counts
// (any status: a failed call's tokens were used too); a call's retries are one request.
import type { PrismaClient } from '../../db/index.ts';
import { usdToUnits } from './money.ts';
import { DAY_MS, MINUTE_MS, monthOf, monthStart, type LedgerBooks, type LedgerBooksSource, type SubjectRef } from './limit-store.ts';

const COLUMN: Record<SubjectRef['level'], string> = { key: '"apiKeyId"', user: '"userId"', team: '"teamId"' };

/** A subject's books: $1 its id, $2 the month's start, $3 the day's, $4 a minute ago. */
export const booksSql = (level: SubjectRef['level']) => `SELECT coalesce(sum("totalTokens") FILTER (WHERE "createdAt" >= $3::timestamptz), 0)::text AS "tokens",
                          coalesce(sum("costUsd"), 0)::text AS "usd",
                          coalesce(json_agg((extract(epoch FROM "createdAt") * 1000)::bigint)
                            FILTER (WHERE "createdAt" > $4::timestamptz AND "attempt" = 1), '[]')::text AS "times"
                   FROM "UsageRecord" WHERE ${COLUMN[level]} = $1::uuid AND "createdAt" >= $2::timestamptz`;

export function createLedgerBooks({ prisma }: { prisma: PrismaClient }): LedgerBooksSource {
  return {
    async booksOf(subject: SubjectRef, at: Date): Promise<LedgerBooks> {
      const ms = at.getTime();
      const [row] = await prisma.$queryRawUnsafe<Array<{ tokens: string; usd: string; times: string }>>(
        booksSql(subject.level),
        subject.id,
        monthStart(monthOf(ms)).toISOString(),
        new Date(Math.floor(ms / DAY_MS) * DAY_MS).toISOString(),
        new Date(ms - MINUTE_MS).toISOString(),
      );
      return {
        tokensToday: Number(row?.tokens ?? 0),
        unitsThisMonth: row ? usdToUnits(row.usd) : 0n,
        requestTimes: row ? (JSON.parse(row.times) as number[]).map(Number) : [],
      };
    },
  };
}
