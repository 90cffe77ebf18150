// The SQL that erases content and keeps the accounting. Content is a message's text, tool calls
// and images, and a conversation's title and system prompt; erased, a message keeps its role,
// position, status, tool call id and usage record, and a conversation its model and dates.
// Ledger rows are never changed beyond `contentPurgedAt` (tokens, cost, status, attribution stay;
// the roll-up trigger subtracts and re-adds the same sums). Each statement takes a bounded batch.

export const ERASED_TITLE = '(erased)';

/** $1: cut-off (older than it), $2: batch size. Returns one row per message erased. */
export const ERASE_OLD_MESSAGES = `UPDATE "Message" SET "content" = '', "toolCalls" = NULL, "images" = NULL, "contentPurgedAt" = now()
  WHERE "id" IN (SELECT "id" FROM "Message" WHERE "contentPurgedAt" IS NULL AND "createdAt" < $1::timestamptz LIMIT $2 FOR UPDATE SKIP LOCKED)
  RETURNING "id"`;

/** A conversation's system prompt is as old as the turn that set it (its creation, or a later turn's replacement). */
const SYSTEM_SET_AT = `coalesce("systemSetAt", "createdAt")`;

/**
 * Conversations with content older than the cut-off, each by its own age, whether the
 * conversation is still in use or not: the title (made from the first message) by the
 * conversation's creation, the system prompt by when it was set.
 */
export const ERASE_OLD_CONVERSATIONS = `UPDATE "Conversation" SET
    "title" = CASE WHEN "createdAt" < $1::timestamptz THEN '${ERASED_TITLE}' ELSE "title" END,
    "system" = CASE WHEN ${SYSTEM_SET_AT} < $1::timestamptz THEN NULL ELSE "system" END,
    "contentPurgedAt" = now()
  WHERE "id" IN (SELECT "id" FROM "Conversation"
    WHERE ("createdAt" < $1::timestamptz AND "title" <> '${ERASED_TITLE}') OR ("system" IS NOT NULL AND ${SYSTEM_SET_AT} < $1::timestamptz)
    LIMIT $2 FOR UPDATE SKIP LOCKED)
  RETURNING "id"`;

/** Finished ledger rows older than the cut-off: marked, nothing else. */
export const MARK_OLD_LEDGER_ROWS = `UPDATE "UsageRecord" SET "contentPurgedAt" = now()
  WHERE "id" IN (SELECT "id" FROM "UsageRecord" WHERE "contentPurgedAt" IS NULL AND "createdAt" < $1::timestamptz AND "status" <> 'PENDING' LIMIT $2 FOR UPDATE SKIP LOCKED)
  RETURNING "id"`;

/** Idempotency records (their stored results hold generated text) older than the cut-off: long expired. */
export const DELETE_OLD_IDEMPOTENCY = `DELETE FROM "IdempotencyRecord"
  WHERE ("userId", "key") IN (SELECT "userId", "key" FROM "IdempotencyRecord" WHERE "createdAt" < $1::timestamptz LIMIT $2 FOR UPDATE SKIP LOCKED)
  RETURNING "key"`;

// One user's content, now ($1: user id).
export const ERASE_USER_MESSAGES = `UPDATE "Message" SET "content" = '', "toolCalls" = NULL, "images" = NULL, "contentPurgedAt" = now()
  WHERE "contentPurgedAt" IS NULL AND "conversationId" IN (SELECT "id" FROM "Conversation" WHERE "userId" = $1::uuid)`;
export const ERASE_USER_CONVERSATIONS = `UPDATE "Conversation" SET "title" = '${ERASED_TITLE}', "system" = NULL, "contentPurgedAt" = now()
  WHERE "userId" = $1::uuid AND "contentPurgedAt" IS NULL`;
export const MARK_USER_LEDGER_ROWS = `UPDATE "UsageRecord" SET "contentPurgedAt" = now() WHERE "userId" = $1::uuid AND "contentPurgedAt" IS NULL`;
export const DELETE_USER_IDEMPOTENCY = `DELETE FROM "IdempotencyRecord" WHERE "userId" = $1::uuid`;
