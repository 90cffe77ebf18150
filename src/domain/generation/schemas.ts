// Inputs of generate / chat: one zod schema each, used by tRPC's .input() and by the GraphQL
// resolvers alike: the door, and the only check of the values a caller chooses. The upstream
// validator (src/upstream/validate.ts) checks only what the upstream adds (routing, Cloudflare's
// headers, the wire shape); what this schema accepts passes it (test/ledger/door.test.ts). Message sizes are bounded by MAX_MESSAGE_BYTES (checked in the service, since it is
// configuration).
import { z } from 'zod';
import { GATEWAY_ID, MAX_CACHE_TTL_SECONDS, MAX_METADATA_ENTRIES, MODEL_ID, UPSTREAM_APIS } from '../../upstream/call-vocabulary.ts';
import { safeString } from '../safe-text.ts';
import { entityId } from '../validation.ts';
import { checkFeatureOptions, featureOptionFields, imageInput, toolCallInput, toolResultInput } from './feature-schemas.ts';

/** Contract v2: an idempotency key (input or Idempotency-Key header) is 1-255 printable ASCII. */
export const idempotencyKey = z
  .string()
  .regex(/^[\x20-\x7E]{1,255}$/, 'must be 1-255 printable ASCII characters')
  .refine((k) => k.trim() !== '', 'must not be blank');

const metadataValue = z.union([safeString().pipe(z.string().max(1024)), z.number().finite(), z.boolean()]);
const metadataEntries = z
  .record(safeString().pipe(z.string().min(1).max(256)), metadataValue)
  .refine((m) => Object.keys(m).length <= MAX_METADATA_ENTRIES, `at most ${MAX_METADATA_ENTRIES} keys`)
  .refine((m) => Object.keys(m).every((k) => !k.startsWith('cf.')), 'keys starting "cf." are reserved by Cloudflare');

/**
 * cf-aig-metadata as Cloudflare keeps it: at most 5 keys, flat string / number / boolean values
 * (one nested or null value makes Cloudflare drop all of it, silently). Anything else is
 * BAD_INPUT on the field `metadata` itself.
 */
export const metadataInput = z.custom<Record<string, string | number | boolean>>(() => true).transform((value, ctx): Record<string, string | number | boolean> => {
  const parsed = metadataEntries.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const where = issue && issue.path.length > 0 ? ` (${issue.path.join('.')})` : '';
  const nested = issue?.code === 'invalid_union' || issue?.code === 'invalid_type';
  ctx.addIssue({
    code: 'custom',
    message: nested
      ? `must be a flat object of at most ${MAX_METADATA_ENTRIES} keys whose values are strings, numbers or booleans${where}`
      : `${issue?.message ?? 'is not valid'}${where}`,
  });
  return z.NEVER;
});

export const generationOptions = z.object({
  model: z.string().regex(MODEL_ID, 'must be a model id such as "openai/gpt-5.5" (letters, digits, . _ : / @ -; at most 128)'),
  system: safeString().pipe(z.string().max(1_000_000)).optional().nullable(),
  maxTokens: z.number().int().positive('must be a positive integer').max(1_000_000).optional().nullable(),
  temperature: z.number().min(0).max(2).optional().nullable(),
  api: z.enum(UPSTREAM_APIS).optional().nullable(),
  gatewayId: z.string().regex(GATEWAY_ID, 'must be 1-64 letters, digits, "-" or "_"').optional().nullable(),
  cache: z
    .object({
      ttlSeconds: z.number().int().min(1).max(MAX_CACHE_TTL_SECONDS).optional().nullable(),
      skip: z.boolean().optional().nullable(),
    })
    .optional()
    .nullable(),
  metadata: metadataInput.optional().nullable(),
  idempotencyKey: idempotencyKey.optional().nullable(),
  ...featureOptionFields,
});

export const messageInput = z
  .object({
    role: z
      .enum(['system', 'user', 'assistant', 'tool', 'SYSTEM', 'USER', 'ASSISTANT', 'TOOL'])
      .transform((r) => r.toLowerCase() as 'system' | 'user' | 'assistant' | 'tool'),
    content: safeString(),
    images: z.array(imageInput).max(16).optional().nullable(),
    toolCalls: z.array(toolCallInput).max(128).optional().nullable(),
    toolCallId: safeString().pipe(z.string().trim().min(1).max(200)).optional().nullable(),
  })
  .superRefine((m, ctx) => {
    if (m.images?.length && m.role !== 'user') ctx.addIssue({ code: 'custom', path: ['images'], message: 'only USER messages carry images' });
    if (m.toolCalls?.length && m.role !== 'assistant') ctx.addIssue({ code: 'custom', path: ['toolCalls'], message: 'only ASSISTANT messages carry tool calls' });
    if ((m.role === 'tool') !== (typeof m.toolCallId === 'string')) ctx.addIssue({ code: 'custom', path: ['toolCallId'], message: 'TOOL messages (and only they) need toolCallId' });
  });

/** Each TOOL message answers a tool call of an earlier ASSISTANT message. */
function checkToolMessages(messages: Array<z.infer<typeof messageInput>>, ctx: z.RefinementCtx): void {
  const calls = new Set<string>();
  messages.forEach((m, i) => {
    for (const call of m.toolCalls ?? []) calls.add(call.id);
    if (m.role === 'tool' && !calls.has(m.toolCallId!)) ctx.addIssue({ code: 'custom', path: ['messages', i, 'toolCallId'], message: 'answers no earlier tool call' });
  });
}

export const generateInput = generationOptions
  .extend({
    prompt: safeString().optional().nullable(),
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
    // The upstream needs a user message to answer, and the last one must say something (text or images).
    const lastUser = hasMessages ? input.messages!.findLast((m) => m.role === 'user') : undefined;
    if (hasMessages && (!lastUser || (lastUser.content.trim() === '' && (lastUser.images?.length ?? 0) === 0))) {
      ctx.addIssue({ code: 'custom', path: ['messages'], message: 'must end its user turns with a non-empty user message' });
    }
    if (hasMessages) checkToolMessages(input.messages!, ctx);
    checkFeatureOptions(input, ctx);
  });
export type GenerateInput = z.infer<typeof generateInput>;

export const chatInput = generationOptions
  .extend({
    conversationId: entityId.optional().nullable(),
    /** Optional when toolResults answer the previous turn's tool calls. */
    message: safeString().optional().nullable(),
    images: z.array(imageInput).max(16).optional().nullable(),
    toolResults: z.array(toolResultInput).max(128).optional().nullable(),
  })
  .superRefine((input, ctx) => {
    const hasResults = (input.toolResults?.length ?? 0) > 0;
    if (typeof input.message === 'string' ? input.message.trim() === '' && !input.images?.length : !hasResults) {
      ctx.addIssue({ code: 'custom', path: ['message'], message: 'must not be empty (it may be left out only when toolResults are given)' });
    }
    if (input.images?.length && typeof input.message !== 'string') ctx.addIssue({ code: 'custom', path: ['images'], message: 'images go with a message' });
    if (hasResults && !input.conversationId) ctx.addIssue({ code: 'custom', path: ['toolResults'], message: 'toolResults answer a turn of an existing conversation (conversationId)' });
    checkFeatureOptions(input, ctx);
  });
export type ChatInput = z.infer<typeof chatInput>;

export type GenerationOptions = z.infer<typeof generationOptions>;
