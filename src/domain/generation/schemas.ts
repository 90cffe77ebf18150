// Inputs of generate / chat: one zod schema each, used by tRPC's .input() and by the GraphQL
// resolvers alike. Message sizes are bounded by MAX_MESSAGE_BYTES (checked in the service,
// since it is configuration).
import { z } from 'zod';
import { UPSTREAM_APIS } from '../../call-vocabulary.ts';
import { entityId } from '../validation.ts';

const metadataValue = z.union([z.string().max(1024), z.number().finite(), z.boolean()]);

export const generationOptions = z.object({
  model: z.string().trim().min(1, 'must not be empty').max(200),
  system: z.string().max(1_000_000).optional().nullable(),
  maxTokens: z.number().int().positive('must be a positive integer').max(1_000_000).optional().nullable(),
  temperature: z.number().min(0).max(2).optional().nullable(),
  api: z.enum(UPSTREAM_APIS).optional().nullable(),
  gatewayId: z.string().trim().min(1).max(64).optional().nullable(),
  cache: z
    .object({
      ttlSeconds: z.number().int().min(0).max(2_592_000).optional().nullable(),
      skip: z.boolean().optional().nullable(),
    })
    .optional()
    .nullable(),
  metadata: z
    .record(z.string().min(1).max(256), metadataValue)
    .refine((m) => Object.keys(m).length <= 5, 'at most 5 entries')
    .optional()
    .nullable(),
  idempotencyKey: z.string().trim().min(1).max(255).optional().nullable(),
});

export const messageInput = z.object({
  role: z.enum(['system', 'user', 'assistant', 'SYSTEM', 'USER', 'ASSISTANT']).transform((r) => r.toLowerCase() as 'system' | 'user' | 'assistant'),
  content: z.string(),
});

export const generateInput = generationOptions
  .extend({
    prompt: z.string().optional().nullable(),
    messages: z.array(messageInput).max(1000).optional().nullable(),
  })
  .superRefine((input, ctx) => {
    const hasPrompt = typeof input.prompt === 'string';
    const hasMessages = Array.isArray(input.messages);
    if (hasPrompt === hasMessages) {
      ctx.addIssue({ code: 'custom', path: ['prompt'], message: 'give either prompt or messages (exactly one)' });
      return;
    }
    if (hasPrompt && input.prompt!.trim() === '') ctx.addIssue({ code: 'custom', path: ['prompt'], message: 'must not be empty' });
    if (hasMessages && !input.messages!.some((m) => m.role !== 'system' && m.content.trim() !== '')) {
      ctx.addIssue({ code: 'custom', path: ['messages'], message: 'must hold at least one non-empty user or assistant message' });
    }
  });
export type GenerateInput = z.infer<typeof generateInput>;

export const chatInput = generationOptions.extend({
  conversationId: entityId.optional().nullable(),
  message: z.string().refine((m) => m.trim() !== '', 'must not be empty'),
});
export type ChatInput = z.infer<typeof chatInput>;

export type GenerationOptions = z.infer<typeof generationOptions>;
