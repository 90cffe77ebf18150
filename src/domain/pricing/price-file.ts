// The committed seed price list (prisma/prices/*.json): parsed and checked once at start-up.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { decimalString } from '../reports/schemas.ts';

export const DEFAULT_PRICE_FILE = fileURLToPath(new URL('../../../prisma/prices/2026-11.json', import.meta.url));

const priceSchema = z.object({
  inputPerMTok: decimalString,
  outputPerMTok: decimalString,
  cachedInputPerMTok: decimalString.nullable().default(null),
  cacheWritePerMTok: decimalString.nullable().default(null),
  reasoningPerMTok: decimalString.nullable().default(null),
  perImageTile: decimalString.nullable().default(null),
  perImageStep: decimalString.nullable().default(null),
  perAudioMinute: decimalString.nullable().default(null),
  perThousandChars: decimalString.nullable().default(null),
});

const priceFileSchema = z.object({
  source: z.string().min(1),
  date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  effectiveFrom: z.iso.datetime().transform((s) => new Date(s)),
  /** Each entry may name its own source (a package and version, a price page); else the file's. */
  models: z.array(z.object({ model: z.string().min(1), source: z.string().min(1).optional(), price: priceSchema.nullable() })),
});

/** The per-unit prices of the non-text models (embeddings, images, transcription, speech), seeded beside the token prices. */
export const MODALITY_PRICE_FILE = fileURLToPath(new URL('../../../prisma/prices/workers-ai-modalities-2026-08.json', import.meta.url));

export type PriceFile = z.infer<typeof priceFileSchema>;

export function loadPriceFile(path = DEFAULT_PRICE_FILE): PriceFile {
  const parsed = priceFileSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
  if (!parsed.success) throw new Error(`Bad price file ${path}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}
