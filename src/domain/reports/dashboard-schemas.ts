// Inputs of the dashboard's read queries (recent calls, model performance, conversation costs):
// one zod schema each, shared by GraphQL and tRPC. The scope (userId / allUsers) follows
// usageReport's access rules.
import { z } from 'zod';
import { safeString } from '../safe-text.ts';
import { decimalString } from './schemas.ts';
import { dateInput as date } from '../validation.ts';


export const CALL_STATUSES = ['PENDING', 'OK', 'ERROR', 'CANCELLED', 'INTERRUPTED'] as const;
export const RECONCILE_STATES = ['UNCHECKED', 'MATCHED', 'DRIFT', 'MISSING_UPSTREAM'] as const;
export type ReconcileState = (typeof RECONCILE_STATES)[number];

const count = z.number().int().min(0).max(2_147_483_647);

/** from < to, and userId / allUsers as in usageReport. */
const scope = {
  from: date,
  to: date,
  userId: z.uuid({ message: 'must be a user id' }).nullish(),
  allUsers: z.boolean().nullish(),
};
type Scoped = { from: Date; to: Date; userId?: string | null; allUsers?: boolean | null };
const rangeOk = (i: Scoped) => i.from.getTime() < i.to.getTime();
const oneScope = (i: Scoped) => !(i.userId && i.allUsers);

export const recentCallsInput = z
  .object({
    ...scope,
    status: z.array(z.enum(CALL_STATUSES)).max(CALL_STATUSES.length).nullish(),
    model: safeString().pipe(z.string().trim().min(1).max(200)).nullish(),
    gatewayId: safeString().pipe(z.string().trim().min(1).max(64)).nullish(),
    apiKeyId: z.uuid({ message: 'must be an API key id' }).nullish(),
    teamId: z.uuid({ message: 'must be a team id' }).nullish(),
    minLatencyMs: count.nullish(),
    maxLatencyMs: count.nullish(),
    minTimeToFirstTokenMs: count.nullish(),
    maxTimeToFirstTokenMs: count.nullish(),
    minTotalTokens: count.nullish(),
    maxTotalTokens: count.nullish(),
    minCostUsd: decimalString.nullish(),
    maxCostUsd: decimalString.nullish(),
    estimated: z.boolean().nullish(),
    reconciliation: z.array(z.enum(RECONCILE_STATES)).max(RECONCILE_STATES.length).nullish(),
    /** Page size, default 50. */
    first: z.number().int().min(1).max(500).nullish(),
    /** The previous page's nextCursor. */
    after: z.string().trim().max(200).regex(/^[A-Za-z0-9_-]+$/, 'must be a cursor from a previous page').nullish(),
  })
  .refine(rangeOk, { message: 'must be after from', path: ['to'] })
  .refine(oneScope, { message: 'give userId or allUsers, not both', path: ['allUsers'] });
export type RecentCallsInput = z.infer<typeof recentCallsInput>;

export const modelPerformanceInput = z
  .object({
    ...scope,
    model: safeString().pipe(z.string().trim().min(1).max(200)).nullish(),
    gatewayId: safeString().pipe(z.string().trim().min(1).max(64)).nullish(),
  })
  .refine(rangeOk, { message: 'must be after from', path: ['to'] })
  .refine(oneScope, { message: 'give userId or allUsers, not both', path: ['allUsers'] });
export type ModelPerformanceInput = z.infer<typeof modelPerformanceInput>;

export const conversationCostsInput = z
  .object({
    ...scope,
    /** How many conversations (most recently active in the range first), default 20. */
    first: z.number().int().min(1).max(200).nullish(),
  })
  .refine(rangeOk, { message: 'must be after from', path: ['to'] })
  .refine(oneScope, { message: 'give userId or allUsers, not both', path: ['allUsers'] });
export type ConversationCostsInput = z.infer<typeof conversationCostsInput>;
