// Inputs of the pricing and usage-report operations: one zod schema each, shared by GraphQL and tRPC.
import { z } from 'zod';
import { safeString } from '../safe-text.ts';
import { dateInput as date } from '../validation.ts';

/** A non-negative decimal string such as "3", "0.15" or "12.3456789012" (at most 10 places). */
export const decimalString = z
  .string()
  .trim()
  .regex(/^\d{1,10}(\.\d{1,10})?$/, 'must be a non-negative decimal string with at most 10 decimal places, e.g. "2.50"');

/** MODEL groups by the model that served the calls; REQUESTED_MODEL by the one the caller named. */
export const USAGE_DIMENSIONS = ['DAY', 'MODEL', 'GATEWAY', 'USER', 'API', 'STATUS', 'API_KEY', 'TEAM', 'TAG', 'SURFACE', 'MODALITY', 'REQUESTED_MODEL'] as const;
export type UsageDimension = (typeof USAGE_DIMENSIONS)[number];

export const usageReportInput = z
  .object({
    from: date,
    to: date,
    groupBy: z.array(z.enum(USAGE_DIMENSIONS)).max(USAGE_DIMENSIONS.length).transform((dims) => [...new Set(dims)]),
    userId: z.uuid({ message: 'must be a user id' }).nullish(),
    allUsers: z.boolean().nullish(),
    model: safeString().pipe(z.string().trim().min(1).max(200)).nullish(),
    gatewayId: safeString().pipe(z.string().trim().min(1).max(64)).nullish(),
    /** Attribution filters: one API key, one team, and tags that must all match. */
    apiKeyId: z.uuid({ message: 'must be an API key id' }).nullish(),
    teamId: z.uuid({ message: 'must be a team id' }).nullish(),
    tags: z
      .record(safeString().pipe(z.string().min(1).max(256)), z.union([safeString().pipe(z.string().max(1024)), z.number().finite(), z.boolean()]), { message: 'must be an object of tag values' })
      .refine((t) => Object.keys(t).length <= 5, 'at most 5 tags')
      .nullish(),
  })
  .refine((i) => i.from.getTime() < i.to.getTime(), { message: 'must be after from', path: ['to'] })
  .refine((i) => !(i.userId && i.allUsers), { message: 'give userId or allUsers, not both', path: ['allUsers'] });
export type UsageReportInput = z.infer<typeof usageReportInput>;

export const setModelPriceInput = z.object({
  model: safeString().pipe(z.string().trim().min(1).max(200)),
  inputPerMTok: decimalString,
  outputPerMTok: decimalString,
  cachedInputPerMTok: decimalString.nullish(),
  cacheWritePerMTok: decimalString.nullish(),
  reasoningPerMTok: decimalString.nullish(),
  /** Per-unit prices of non-text models (USD per 512x512 tile, per step, per audio minute, per 1,000 characters). */
  perImageTile: decimalString.nullish(),
  perImageStep: decimalString.nullish(),
  perAudioMinute: decimalString.nullish(),
  perThousandChars: decimalString.nullish(),
  /** USD per 1,000 neurons (Workers AI): a reply's cf-ai-neurons is then the billed quantity. */
  perThousandNeurons: decimalString.nullish(),
  /** When the version takes effect; default now. */
  effectiveFrom: date.nullish(),
  /** Where the figures come from (a price page, a contract); default "admin". */
  source: safeString().pipe(z.string().trim().min(1).max(500)).nullish(),
});
export type SetModelPriceInput = z.infer<typeof setModelPriceInput>;

export const repriceUsageInput = z
  .object({
    priceVersionId: z.uuid({ message: 'must be a price version id' }),
    from: date,
    to: date,
  })
  .refine((i) => i.from.getTime() < i.to.getTime(), { message: 'must be after from', path: ['to'] });
export type RepriceUsageInput = z.infer<typeof repriceUsageInput>;
