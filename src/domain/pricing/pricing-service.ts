// Model prices: versions with effective dates, seeded from the committed price file, kept in
// memory for the hot path (costOf), extended by admins (setModelPrice) and applied to past
// usage by re-pricing (repriceUsage, audited in "RepriceRun").
import type { PrismaClient } from '../../db/index.ts';
import { dbErrorKind } from '../../db/index.ts';
import { notFound } from '../../platform/errors.ts';
import { uuidv7 } from '../../platform/ids.ts';
import type { BilledUnits, Modality, UpstreamApi, Usage } from '../../upstream/call-vocabulary.ts';
import { modalityOf } from '../modalities/catalogue.ts';
import { type Principal, requireAdmin } from '../access/principal.ts';
import { recordAudit } from '../audit/audit-trail.ts';
import { loadPriceFile, MODALITY_PRICE_FILE, type PriceFile } from './price-file.ts';
import type { ImportedPrice } from './litellm-prices.ts';
import { COST_SCALE, costAt, costSql, Dec, neuronCostAt, normalizeDecimal, NO_COST, type CallCost, type PriceVersion, type Pricing } from './pricing.ts';
import type { RepriceUsageInput, SetModelPriceInput } from '../reports/schemas.ts';

export interface ModelView {
  id: string;
  provider: string;
  /** The upstream API a call to this model uses unless the caller forces one. */
  api: UpstreamApi;
  /** What the model produces: TEXT, EMBEDDING, IMAGE, TRANSCRIPTION or SPEECH. */
  modality: Modality;
  /** The version in force now; null when the model has no price. */
  price: PriceVersion | null;
  /** Every version, newest first. */
  priceVersions: PriceVersion[];
}

export interface PriceImportResult {
  added: PriceVersion[];
  unchanged: number;
  skipped: number;
}

export interface RepriceResult {
  id: string;
  priceVersion: PriceVersion;
  from: Date;
  to: Date;
  rowsRepriced: number;
  previousCostUsd: string | null;
  newCostUsd: string | null;
  byUserId: string;
  createdAt: Date;
}

/** "openai/gpt-5.5" -> "openai"; Workers AI ids ("@cf/author/model") -> "workers-ai". */
export function providerOf(model: string): string {
  if (model.startsWith('@cf/') || model.startsWith('@hf/')) return 'workers-ai';
  const slash = model.indexOf('/');
  return slash > 0 ? model.slice(0, slash) : 'unknown';
}

interface PriceRow {
  id: string;
  model: string;
  version: number;
  effectiveFrom: Date;
  inputPerMTok: { toString(): string };
  outputPerMTok: { toString(): string };
  cachedInputPerMTok: { toString(): string } | null;
  cacheWritePerMTok: { toString(): string } | null;
  reasoningPerMTok: { toString(): string } | null;
  perImageTile?: { toString(): string } | null;
  perImageStep?: { toString(): string } | null;
  perAudioMinute?: { toString(): string } | null;
  perThousandChars?: { toString(): string } | null;
  perThousandNeurons?: { toString(): string } | null;
  source: string;
  createdBy: string | null;
  createdAt: Date;
}

const dec = (v: { toString(): string } | null): string | null => (v === null ? null : normalizeDecimal(v));

function toPriceVersion(r: PriceRow): PriceVersion {
  return {
    id: r.id,
    model: r.model,
    version: r.version,
    effectiveFrom: r.effectiveFrom,
    inputPerMTok: normalizeDecimal(r.inputPerMTok),
    outputPerMTok: normalizeDecimal(r.outputPerMTok),
    cachedInputPerMTok: dec(r.cachedInputPerMTok),
    cacheWritePerMTok: dec(r.cacheWritePerMTok),
    reasoningPerMTok: dec(r.reasoningPerMTok),
    perImageTile: dec(r.perImageTile ?? null),
    perImageStep: dec(r.perImageStep ?? null),
    perAudioMinute: dec(r.perAudioMinute ?? null),
    perThousandChars: dec(r.perThousandChars ?? null),
    perThousandNeurons: dec(r.perThousandNeurons ?? null),
    source: r.source,
    createdBy: r.createdBy,
    createdAt: r.createdAt,
  };
}

export interface PricingServiceDeps {
  prisma: PrismaClient;
  priceFile: PriceFile;
  routeFor(model: string): UpstreamApi;
  /** Further seed files (default: the non-text models' unit prices, MODALITY_PRICE_FILE). */
  extraPriceFiles?: PriceFile[];
  /** Reload the price cache this often, so versions added on other instances apply; 0 = never. */
  refreshMs?: number;
}

export function createPricingService({ prisma, priceFile: tokenPriceFile, routeFor, refreshMs = 60_000, extraPriceFiles = [loadPriceFile(MODALITY_PRICE_FILE)] }: PricingServiceDeps) {
  const seedFiles = [tokenPriceFile, ...extraPriceFiles];
  /** Every seeded model (the models list names each), from all seed files. */
  const priceFile = { models: seedFiles.flatMap((f) => f.models) };
  /** Per model, versions ordered by (effectiveFrom, version) ascending. */
  let byModel = new Map<string, PriceVersion[]>();
  let timer: NodeJS.Timeout | undefined;

  async function reload(): Promise<void> {
    const rows = await prisma.modelPrice.findMany({ orderBy: [{ model: 'asc' }, { effectiveFrom: 'asc' }, { version: 'asc' }] });
    const next = new Map<string, PriceVersion[]>();
    for (const row of rows) {
      const list = next.get(row.model) ?? [];
      list.push(toPriceVersion(row));
      next.set(row.model, list);
    }
    byModel = next;
  }

  /** Seeds version 1 of every priced model in the price file (idempotent), then loads the cache. */
  async function init(): Promise<void> {
    for (const file of seedFiles) await seed(file);
    await reload();
    if (refreshMs > 0) {
      timer = setInterval(() => void reload().catch(() => {}), refreshMs);
      timer.unref();
    }
  }

  async function seed(priceFile: PriceFile): Promise<void> {
    const seeded = priceFile.models.filter((m) => m.price !== null);
    if (seeded.length > 0) {
      await prisma.modelPrice.createMany({
        skipDuplicates: true,
        data: seeded.map(({ model, price, source }) => ({
          id: uuidv7(),
          model,
          version: 1,
          effectiveFrom: priceFile.effectiveFrom,
          inputPerMTok: price!.inputPerMTok,
          outputPerMTok: price!.outputPerMTok,
          cachedInputPerMTok: price!.cachedInputPerMTok,
          cacheWritePerMTok: price!.cacheWritePerMTok,
          reasoningPerMTok: price!.reasoningPerMTok,
          perImageTile: price!.perImageTile,
          perImageStep: price!.perImageStep,
          perAudioMinute: price!.perAudioMinute,
          perThousandChars: price!.perThousandChars,
          source: `${source ?? priceFile.source} (${priceFile.date})`,
        })),
      });
    }
  }

  /** The version in force at `at`: the latest effectiveFrom not after it (then the highest version). */
  function versionAt(model: string, at: Date): PriceVersion | undefined {
    const versions = byModel.get(model);
    if (!versions) return undefined;
    const t = at.getTime();
    for (let i = versions.length - 1; i >= 0; i--) if (versions[i]!.effectiveFrom.getTime() <= t) return versions[i];
    return undefined;
  }

  const pricing: Pricing = {
    costOf(model: string, usage: Usage, at: Date, units?: BilledUnits, neurons?: string | null): CallCost {
      const price = versionAt(model, at);
      if (!price) return NO_COST;
      // A model priced per neuron costs the neurons Workers AI reported, when it did.
      if (price.perThousandNeurons && neurons) return { costUsd: neuronCostAt(price.perThousandNeurons, neurons), priceVersionId: price.id };
      return { costUsd: costAt(price, usage, units), priceVersionId: price.id };
    },
    pricedTextModels: () => [...byModel.keys()].filter((id) => modalityOf(id) === 'TEXT'),
  };


  function models(): ModelView[] {
    const ids = new Set([...priceFile.models.map((m) => m.model), ...byModel.keys()]);
    const now = new Date();
    return [...ids].sort().map((id) => ({
      id,
      provider: providerOf(id),
      api: routeFor(id),
      modality: modalityOf(id),
      price: versionAt(id, now) ?? null,
      priceVersions: [...(byModel.get(id) ?? [])].sort((a, b) => b.version - a.version),
    }));
  }

  interface NewVersion {
    model: string;
    inputPerMTok: string;
    outputPerMTok: string;
    cachedInputPerMTok?: string | null;
    cacheWritePerMTok?: string | null;
    reasoningPerMTok?: string | null;
    perImageTile?: string | null;
    perImageStep?: string | null;
    perAudioMinute?: string | null;
    perThousandChars?: string | null;
    perThousandNeurons?: string | null;
    effectiveFrom?: Date | null;
    source?: string | null;
  }

  /** Adds the next version of a model's price (never edits one); two writers at once: the loser takes the next number. */
  async function addVersion(input: NewVersion, actor: Principal): Promise<PriceVersion> {
    const createdBy = actor.userId;
    for (let attempt = 0; ; attempt++) {
      try {
        // The version and its audit event commit together.
        return await prisma.$transaction(async (tx) => {
        const last = await tx.modelPrice.findFirst({ where: { model: input.model }, orderBy: { version: 'desc' }, select: { version: true } });
        const row = await tx.modelPrice.create({
          data: {
            id: uuidv7(),
            model: input.model,
            version: (last?.version ?? 0) + 1,
            effectiveFrom: input.effectiveFrom ?? new Date(),
            inputPerMTok: input.inputPerMTok,
            outputPerMTok: input.outputPerMTok,
            cachedInputPerMTok: input.cachedInputPerMTok ?? null,
            cacheWritePerMTok: input.cacheWritePerMTok ?? null,
            reasoningPerMTok: input.reasoningPerMTok ?? null,
            perImageTile: input.perImageTile ?? null,
            perImageStep: input.perImageStep ?? null,
            perAudioMinute: input.perAudioMinute ?? null,
            perThousandChars: input.perThousandChars ?? null,
            perThousandNeurons: input.perThousandNeurons ?? null,
            source: input.source ?? 'admin',
            createdBy,
          },
        });
        const version = toPriceVersion(row);
        await recordAudit(tx, actor, { action: 'price.set', targetType: 'MODEL_PRICE', targetId: version.id, details: { ...version } });
        return version;
        });
      } catch (error) {
        if (dbErrorKind(error) === 'unique_violation' && attempt < 3) continue;
        throw error;
      }
    }
  }

  async function setModelPrice(principal: Principal, input: SetModelPriceInput): Promise<PriceVersion> {
    requireAdmin(principal);
    const version = await addVersion(input, principal);
    await reload();
    return version;
  }

  /**
   * Imports a price map (see litellm-prices.ts): a model whose prices differ from the version in
   * force at `effectiveFrom` gets a new version; equal ones are left alone, so a second import of
   * the same map adds nothing. History is never edited. By default only models that `models`
   * lists are taken.
   */
  async function importPrices(principal: Principal, prices: readonly ImportedPrice[], opts: { source: string; effectiveFrom?: Date; allModels?: boolean }): Promise<PriceImportResult> {
    requireAdmin(principal);
    await reload();
    const known = new Set(models().map((m) => m.id));
    const at = opts.effectiveFrom ?? new Date();
    const result: PriceImportResult = { added: [], unchanged: 0, skipped: 0 };
    const seen = new Set<string>();
    for (const p of prices) {
      if (seen.has(p.model) || (!opts.allModels && !known.has(p.model))) {
        result.skipped += 1;
        continue;
      }
      seen.add(p.model);
      const current = versionAt(p.model, at);
      const same = (a: string | null, b: string | null) => (a === null ? b === null : b !== null && new Dec(a).eq(b));
      if (current && same(current.inputPerMTok, p.inputPerMTok) && same(current.outputPerMTok, p.outputPerMTok) && same(current.cachedInputPerMTok, p.cachedInputPerMTok)
        && same(current.cacheWritePerMTok, p.cacheWritePerMTok) && same(current.reasoningPerMTok, p.reasoningPerMTok)) {
        result.unchanged += 1;
        continue;
      }
      result.added.push(await addVersion({ ...p, effectiveFrom: at, source: opts.source }, principal));
    }
    await reload();
    return result;
  }

  /**
   * Re-costs the model's ledger rows in [from, to) with the given version, in one statement,
   * and records the run (rows, total cost before and after, who) in "RepriceRun". Rows that
   * carry no cost by rule (failed calls without tokens) stay null, as the call runner left them.
   */
  async function repriceUsage(principal: Principal, input: RepriceUsageInput): Promise<RepriceResult> {
    requireAdmin(principal);
    const row = await prisma.modelPrice.findUnique({ where: { id: input.priceVersionId } });
    if (!row) throw notFound('Price version');
    const price = toPriceVersion(row);
    const runId = uuidv7();
    // $1 run id, $2 version id, $3 model, $4 from, $5 to, $6 by, $7.. prices, $12 per 1,000 neurons (or null)
    const tokens = costSql({ input: '$7::numeric', output: '$8::numeric', cachedInput: '$9::numeric', cacheWrite: '$10::numeric', reasoning: '$11::numeric' });
    // Rows priced by the model that served them; neurons when the model is priced per neuron and the reply said.
    const cost = `(CASE WHEN $12::numeric IS NOT NULL AND "neurons" IS NOT NULL THEN round("neurons" * $12::numeric / 1000, ${COST_SCALE}) ELSE ${tokens} END)`;
    const sql = `
      WITH target AS (
        SELECT "id", "costUsd" FROM "UsageRecord"
        WHERE coalesce("servedModel", "requestedModel") = $3 AND "createdAt" >= $4::timestamptz AND "createdAt" < $5::timestamptz
          AND ("status" = 'OK' OR "totalTokens" > 0)
        FOR UPDATE
      ), updated AS (
        UPDATE "UsageRecord" AS u SET "costUsd" = CASE WHEN u."cacheHit" THEN 0 ELSE ${cost} END,
          "cacheSavedUsd" = CASE WHEN u."cacheHit" THEN ${cost} ELSE u."cacheSavedUsd" END, "priceVersionId" = $2::uuid
        FROM target WHERE u."id" = target."id"
        RETURNING u."costUsd"
      )
      INSERT INTO "RepriceRun" ("id", "priceVersionId", "fromTime", "toTime", "rowsRepriced", "previousCostUsd", "newCostUsd", "byUserId")
      SELECT $1::uuid, $2::uuid, $4::timestamptz, $5::timestamptz, (SELECT count(*) FROM updated),
             (SELECT sum("costUsd") FROM target), (SELECT sum("costUsd") FROM updated), $6::uuid
      RETURNING "id", "rowsRepriced", "previousCostUsd"::text AS "previousCostUsd", "newCostUsd"::text AS "newCostUsd", "createdAt"`;
    const [run] = await prisma.$transaction(async (tx) => {
      const rows = await tx.$queryRawUnsafe<Array<{ id: string; rowsRepriced: number; previousCostUsd: string | null; newCostUsd: string | null; createdAt: Date }>>(
      sql,
      runId,
      price.id,
      price.model,
      input.from.toISOString(),
      input.to.toISOString(),
      principal.userId,
      price.inputPerMTok,
      price.outputPerMTok,
      price.cachedInputPerMTok ?? price.inputPerMTok,
      price.cacheWritePerMTok ?? price.inputPerMTok,
      price.reasoningPerMTok ?? price.outputPerMTok,
      price.perThousandNeurons ?? null,
      );
      const done = rows[0]!;
      await recordAudit(tx, principal, {
        action: 'repricing.run',
        targetType: 'REPRICE_RUN',
        targetId: done.id,
        details: { priceVersionId: price.id, model: price.model, from: input.from, to: input.to, rowsRepriced: Number(done.rowsRepriced), previousCostUsd: done.previousCostUsd, newCostUsd: done.newCostUsd },
      });
      return rows;
    });
    return {
      id: run!.id,
      priceVersion: price,
      from: input.from,
      to: input.to,
      rowsRepriced: Number(run!.rowsRepriced),
      previousCostUsd: run!.previousCostUsd === null ? null : normalizeDecimal(run!.previousCostUsd),
      newCostUsd: run!.newCostUsd === null ? null : normalizeDecimal(run!.newCostUsd),
      byUserId: principal.userId,
      createdAt: new Date(run!.createdAt),
    };
  }

  function close(): void {
    if (timer) clearInterval(timer);
  }

  return { init, reload, pricing, costOf: pricing.costOf, versionAt, models, setModelPrice, importPrices, repriceUsage, close };
}

export type PricingService = ReturnType<typeof createPricingService>;
