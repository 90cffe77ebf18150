-- When a later turn replaced a conversation's system prompt (NULL: it is the one set at creation),
-- so that retention erases a system prompt by its own age, not by the conversation's activity.
ALTER TABLE "Conversation" ADD COLUMN "systemSetAt" TIMESTAMPTZ(3);
