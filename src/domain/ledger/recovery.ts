// Recovery of calls whose owner died. Each instance holds a lease (an "InstanceLease" row it
// renews every leaseMs/3) and stamps its id on the PENDING rows it writes. On start and every
// leaseMs, any instance turns the PENDING rows whose owner's lease lapsed (or is gone) into
// INTERRUPTED with their estimated usage (the input estimate the PENDING row carries, output 0,
// usageEstimated = true, priced), and marks the chat turns they carried INTERRUPTED. Safe with
// several instances on one database: only lapsed leases count, and the row update is guarded
// by status = 'PENDING' (a live call's final update is guarded the same way, so whichever comes
// first wins and the other changes nothing).
//
// The lease is renewed on a connection of its own (Database.executeAlone), never through the
// pool the calls use: a busy instance (every pooled connection taken, callers queued) still
// renews on time and is never taken for dead. A sweep never takes this instance's own rows, and
// renews before it looks (after an outage, our lease may have lapsed while we lived).
//
// The embedded database (PGlite) is single-process: there, every lease but our own belongs to a
// dead process, so a restart recovers at once instead of waiting for the old lease to lapse.
import { hasUnits } from '../pricing/unit-prices.ts';
import { hostname } from 'node:os';
import type { PrismaClient } from '../../db/index.ts';
import { uuidv7 } from '../../platform/ids.ts';
import type { Logger } from '../../platform/logger.ts';
import type { Pricing } from '../pricing/pricing.ts';
import { emptyUsage } from '../../upstream/call-vocabulary.ts';

export interface RecoveryDeps {
  prisma: PrismaClient;
  /** One statement on the lease's own connection (Database.executeAlone). */
  executeAlone: (sql: string, params: readonly unknown[]) => Promise<void>;
  pricing: Pricing;
  logger: Logger;
  /** RECOVERY_LEASE_MS */
  leaseMs: number;
  /** True when no other process can use this database (PGlite). */
  exclusive: boolean;
}

export interface Recovery {
  /** This instance's lease id (the ownerId of its PENDING rows). */
  ownerId: string;
  /** Writes the lease, recovers what lapsed, then keeps renewing and sweeping. */
  start(): Promise<void>;
  /** One sweep: PENDING rows of lapsed owners -> INTERRUPTED. Returns how many. */
  sweep(): Promise<number>;
  /** Stops the timers and deletes the lease (call after the ledger drained). */
  stop(): Promise<void>;
}

interface LostRow {
  id: string;
  requestedModel: string;
  inputTokens: number;
  createdAt: Date;
  modality?: string;
  imageTiles?: number;
  imageSteps?: number;
  audioSeconds?: number;
  characters?: number;
}

export function createRecovery({ prisma, executeAlone, pricing, logger, leaseMs, exclusive }: RecoveryDeps): Recovery {
  const ownerId = uuidv7();
  const timers: NodeJS.Timeout[] = [];
  let sweeping: Promise<number> | undefined;
  let renewing: Promise<void> | undefined;

  /** One renewal at a time: a renewal still in flight is joined, never stacked behind. */
  const renew = (): Promise<void> =>
    (renewing ??= executeAlone(
      `INSERT INTO "InstanceLease" ("id", "hostname", "pid", "startedAt", "renewedAt") VALUES ($1::uuid, $2, $3, now(), now())
       ON CONFLICT ("id") DO UPDATE SET "renewedAt" = now()`,
      [ownerId, hostname(), process.pid],
    ).finally(() => (renewing = undefined)));

  /** A lease that still counts: ours always; another one only while renewed (and never when exclusive). */
  const liveLease = exclusive ? `l."id" = $1::uuid` : `l."renewedAt" > now() - make_interval(secs => $1::double precision / 1000)`;
  const liveLeaseParam = exclusive ? ownerId : leaseMs;

  async function sweepOnce(): Promise<number> {
    // Our own lease first: after an outage it may look lapsed to everyone, us included.
    await renew();
    // One statement: the rows and their chat messages change together (or not at all).
    const lost = await prisma.$queryRawUnsafe<LostRow[]>(
      `WITH lost AS (
         UPDATE "UsageRecord" AS u
            SET "status" = 'INTERRUPTED', "usageEstimated" = true, "outputTokens" = 0, "reasoningTokens" = 0,
                "totalTokens" = u."inputTokens" + u."cachedInputTokens" + u."cacheWriteTokens", "finishedAt" = now()
          WHERE u."status" = 'PENDING'
            AND u."ownerId" IS DISTINCT FROM $2::uuid
            AND NOT EXISTS (SELECT 1 FROM "InstanceLease" AS l WHERE l."id" = u."ownerId" AND ${liveLease})
          RETURNING u."id", u."callId", u."requestedModel", u."inputTokens", u."createdAt",
                    u."modality", u."imageTiles", u."imageSteps", u."audioSeconds"::float8 AS "audioSeconds", u."characters"
       ), turns AS (
         UPDATE "Message" AS m SET "status" = 'INTERRUPTED'
          WHERE m."usageRecordId" IN (SELECT "callId" FROM lost) AND m."status" <> 'INTERRUPTED'
       )
       SELECT "id", "requestedModel", "inputTokens", "createdAt", "modality", "imageTiles", "imageSteps", "audioSeconds", "characters" FROM lost`,
      liveLeaseParam,
      ownerId,
    );
    if (lost.length === 0) return 0;
    // Price the estimates (the price list lives in this process).
    const priced = lost.map((r) => {
      const usage = { ...emptyUsage(), inputTokens: r.inputTokens, totalTokens: r.inputTokens };
      // A non-text call's PENDING row carries its reserved units: priced like its input estimate.
      const units = r.modality && r.modality !== 'TEXT' ? { images: 0, imageTiles: r.imageTiles ?? 0, imageSteps: r.imageSteps ?? 0, audioSeconds: r.audioSeconds ?? 0, characters: r.characters ?? 0 } : undefined;
      const billed = usage.totalTokens > 0 || (units !== undefined && hasUnits(units));
      const cost = billed ? pricing.costOf(r.requestedModel, usage, new Date(r.createdAt), units) : { costUsd: null, priceVersionId: null };
      return { id: r.id, costUsd: cost.costUsd, priceVersionId: cost.priceVersionId };
    });
    await prisma.$executeRawUnsafe(
      `UPDATE "UsageRecord" AS u SET "costUsd" = r."costUsd", "priceVersionId" = r."priceVersionId"
         FROM json_populate_recordset(NULL::"UsageRecord", $1::json) AS r
        WHERE u."id" = r."id" AND u."status" = 'INTERRUPTED' AND r."costUsd" IS NOT NULL`,
      JSON.stringify(priced),
    );
    logger.warn('recovered calls whose instance stopped: marked INTERRUPTED with estimated usage', { rows: lost.length });
    return lost.length;
  }

  function sweep(): Promise<number> {
    sweeping ??= sweepOnce().finally(() => (sweeping = undefined));
    return sweeping;
  }

  const every = (ms: number, fn: () => Promise<unknown>, what: string) => {
    const timer = setInterval(() => fn().catch((error: unknown) => logger.error(`recovery: ${what} failed`, { cause: error })), ms);
    timer.unref();
    timers.push(timer);
  };

  return {
    ownerId,
    async start() {
      await sweep();
      every(Math.max(100, Math.floor(leaseMs / 3)), renew, 'lease renewal');
      every(leaseMs, sweep, 'sweep');
    },
    sweep,
    async stop() {
      for (const timer of timers.splice(0)) clearInterval(timer);
      await sweeping?.catch(() => 0);
      await prisma.$executeRawUnsafe(`DELETE FROM "InstanceLease" WHERE "id" = $1::uuid`, ownerId);
    },
  };
}
