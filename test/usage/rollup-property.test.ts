// The daily roll-up equals the ledger exactly, to the cent, whatever the ledger's group commits did:
// random bursts of write-aheads (PENDING inserts, batched as they race), of finishes (batched
// updates), of rows left PENDING by a "crash" between the two batches and later recovered
// (INTERRUPTED, as recovery's UPDATE does) or finished late, and of rows recorded final at once.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UsageRow } from '../../src/domain/ledger/usage-row.ts';
import { createUserWithKey, startTestServer, type TestServer } from '../helpers/server.ts';
import { makeRows } from './ledger-fixture.ts';

let server: TestServer;
let users: string[];

beforeAll(async () => {
  server = await startTestServer({});
  users = [(await createUserWithKey(server, 'roll-a@example.com')).userId, (await createUserWithKey(server, 'roll-b@example.com')).userId];
});
afterAll(async () => {
  await server?.close();
});

/** Per day, user, model and status: requests, tokens and cost, from the roll-up and from the ledger's finished rows. */
const GROUPS = `SELECT "day"::text AS "day", "userId"::text AS "userId", "model", "status"::text AS "status",
    sum("requests")::text AS "requests", sum("totalTokens")::text AS "tokens", sum("costUsd")::numeric(30,10)::text AS "cost", sum("estimatedRequests")::text AS "estimated"
  FROM "UsageDaily" GROUP BY 1, 2, 3, 4 HAVING sum("requests") <> 0 ORDER BY 1, 2, 3, 4`;
const FROM_LEDGER = `SELECT (("createdAt" AT TIME ZONE 'UTC')::date)::text AS "day", "userId"::text AS "userId", coalesce("servedModel", "requestedModel") AS "model", "status"::text AS "status",
    count(*)::text AS "requests", sum("totalTokens")::text AS "tokens", coalesce(sum("costUsd"), 0)::numeric(30,10)::text AS "cost", (count(*) FILTER (WHERE "usageEstimated"))::text AS "estimated"
  FROM "UsageRecord" WHERE "status" <> 'PENDING' GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`;

describe('the roll-up equals the ledger after any mix of batches', () => {
  it('random bursts with crashes between the write-ahead and the finish', async () => {
    const prisma = server.app.db.prisma;
    let seed = 100;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ size: fc.integer({ min: 1, max: 60 }), finished: fc.double({ min: 0, max: 1, noNaN: true }), recovered: fc.boolean(), recorded: fc.integer({ min: 0, max: 5 }) }), { minLength: 1, maxLength: 4 }),
        async (bursts) => {
          for (const burst of bursts) {
            const finals = makeRows(users, burst.size + burst.recorded, new Date('2026-11-20T00:00:00Z'), 3 * 86_400_000, seed++);
            const written = finals.slice(0, burst.size);
            // The write-aheads race (the group commit batches them), then the finishes race.
            await Promise.all(written.map((r) => server.app.ledger.begin({ ...r, status: 'PENDING', costUsd: null, usageEstimated: true })));
            const cut = Math.floor(burst.finished * written.length);
            await Promise.all(written.slice(0, cut).map((r) => server.app.ledger.finish(r)));
            await Promise.all(finals.slice(burst.size).map((r) => server.app.ledger.record(r)));
            // The rest were left PENDING by a crash: recovered (one UPDATE, as recovery's) or finished late.
            const stranded = written.slice(cut);
            if (stranded.length > 0 && burst.recovered) {
              await prisma.$executeRawUnsafe(
                `UPDATE "UsageRecord" SET "status" = 'INTERRUPTED', "finishedAt" = now(), "costUsd" = 0.0000010000, "usageEstimated" = true WHERE "status" = 'PENDING' AND "id" = ANY($1::uuid[])`,
                stranded.map((r: UsageRow) => r.id),
              );
            } else {
              await Promise.all(stranded.map((r) => server.app.ledger.finish(r)));
            }
          }
          await server.app.ledger.drain();
          const [rollUp, ledger] = await Promise.all([prisma.$queryRawUnsafe<Array<Record<string, string>>>(GROUPS), prisma.$queryRawUnsafe<Array<Record<string, string>>>(FROM_LEDGER)]);
          expect(rollUp).toEqual(ledger);
        },
      ),
      { numRuns: 12, seed: 29 },
    );
  }, 240_000);
});
