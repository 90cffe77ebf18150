// Inputs beyond plain text, one zod schema each (used by generate, chat and both adapters):
// tools, tool choice, response format, images, assistant tool calls, tool results, stop, topP,
// reasoning effort. JSON Schemas (tool parameters, response schema) must compile (json-output.ts).
import { z } from 'zod';
import { safeString } from '../safe-text.ts';
import { compileSchema } from './json-output.ts';

const TOOL_NAME = /^[A-Za-z0-9_-]{1,64}$/;
const toolName = z.string().regex(TOOL_NAME, 'must be 1-64 letters, digits, "_" or "-"');
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
export const IMAGE_MEDIA_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'] as const;

/** A JSON object (a JSON Schema, by its place) that compiles. */
const jsonSchema = z.record(z.string(), z.unknown()).superRefine((schema, ctx) => {
  const error = compileSchema(schema).error;
  if (error) ctx.addIssue({ code: 'custom', message: `not a usable JSON Schema: ${error}` });
});

export const toolInput = z.object({
  name: toolName,
  description: safeString().pipe(z.string().max(4_000)).optional().nullable(),
  parameters: jsonSchema,
});

export const toolChoiceInput = z
  .object({ mode: z.enum(['AUTO', 'NONE', 'REQUIRED', 'TOOL']), name: toolName.optional().nullable() })
  .superRefine((choice, ctx) => {
    if (choice.mode === 'TOOL' && !choice.name) ctx.addIssue({ code: 'custom', path: ['name'], message: 'mode TOOL needs the tool name' });
  });

export const responseFormatInput = z
  .object({
    type: z.enum(['TEXT', 'JSON_OBJECT', 'JSON_SCHEMA']),
    name: toolName.optional().nullable(),
    schema: jsonSchema.optional().nullable(),
    strict: z.boolean().optional().nullable(),
  })
  .superRefine((format, ctx) => {
    if (format.type === 'JSON_SCHEMA' && !format.schema) ctx.addIssue({ code: 'custom', path: ['schema'], message: 'JSON_SCHEMA needs a schema' });
  });

export const imageInput = z
  .object({
    url: safeString().pipe(z.string().max(8_192)).optional().nullable(),
    data: z.string().regex(BASE64, 'must be base64').optional().nullable(),
    mediaType: z.enum(IMAGE_MEDIA_TYPES).optional().nullable(),
  })
  .superRefine((image, ctx) => {
    const hasUrl = typeof image.url === 'string';
    if (hasUrl === (typeof image.data === 'string')) ctx.addIssue({ code: 'custom', message: 'give either url or data (exactly one)' });
    if (hasUrl && !/^https?:\/\/[^\s]+$/i.test(image.url!)) ctx.addIssue({ code: 'custom', path: ['url'], message: 'must be an http(s) URL' });
    if (typeof image.data === 'string' && !image.mediaType) ctx.addIssue({ code: 'custom', path: ['mediaType'], message: 'data needs its mediaType' });
    if (typeof image.data === 'string' && image.data.length === 0) ctx.addIssue({ code: 'custom', path: ['data'], message: 'must not be empty' });
  });
export type ImageInputValue = z.infer<typeof imageInput>;

const argumentsText = safeString()
  .pipe(z.string().max(1_000_000))
  .refine((text) => {
    try {
      const value: unknown = JSON.parse(text);
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    } catch {
      return false;
    }
  }, 'must be the JSON text of an object');

export const toolCallInput = z.object({ id: safeString().pipe(z.string().trim().min(1).max(200)), name: toolName, arguments: argumentsText });

export const toolResultInput = z.object({ toolCallId: safeString().pipe(z.string().trim().min(1).max(200)), content: safeString() });

/** The options beyond plain text that generate and chat share (spread into their object schemas). */
export const featureOptionFields = {
  tools: z.array(toolInput).max(128).optional().nullable(),
  toolChoice: toolChoiceInput.optional().nullable(),
  responseFormat: responseFormatInput.optional().nullable(),
  stop: z.array(safeString().pipe(z.string().min(1).max(256))).max(16).optional().nullable(),
  topP: z.number().min(0).max(1).optional().nullable(),
  reasoningEffort: z.enum(['LOW', 'MEDIUM', 'HIGH']).optional().nullable(),
};

type FeatureOptions = { [K in keyof typeof featureOptionFields]?: z.infer<(typeof featureOptionFields)[K]> };

/** Cross-field checks: a TOOL choice names an offered tool; tool names are unique. */
export function checkFeatureOptions(input: FeatureOptions, ctx: z.RefinementCtx): void {
  const names = (input.tools ?? []).map((t) => t.name);
  if (new Set(names).size !== names.length) ctx.addIssue({ code: 'custom', path: ['tools'], message: 'tool names must be unique' });
  if (input.toolChoice?.mode === 'TOOL' && !names.includes(input.toolChoice.name ?? '')) {
    ctx.addIssue({ code: 'custom', path: ['toolChoice', 'name'], message: 'must name one of the tools' });
  }
  if ((input.toolChoice?.mode === 'REQUIRED' || input.toolChoice?.mode === 'TOOL') && names.length === 0) {
    ctx.addIssue({ code: 'custom', path: ['toolChoice'], message: 'needs tools' });
  }
}
