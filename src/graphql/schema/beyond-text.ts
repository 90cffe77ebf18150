// GraphQL types for inputs and outputs beyond plain text: tools, tool choice, response format,
// images, tool calls and results, reasoning effort; ToolCall, JsonError, Image; the stream
// events ToolCallDelta and ReasoningDelta.
import type { ImageInput, ToolCall } from '../../upstream/call-vocabulary.ts';
import type { ReasoningDeltaEvent, ToolCallDeltaEvent } from '../../domain/generation/generation-view.ts';
import type { JsonError } from '../../domain/generation/json-output.ts';
import { IMAGE_MEDIA_TYPES } from '../../domain/generation/feature-schemas.ts';
import { builder } from '../builder.ts';

type InputFields = Parameters<Parameters<typeof builder.inputType>[1]['fields']>[0];

const ToolChoiceModeEnum = builder.enumType('ToolChoiceMode', { values: ['AUTO', 'NONE', 'REQUIRED', 'TOOL'] as const });
const ResponseFormatTypeEnum = builder.enumType('ResponseFormatType', { values: ['TEXT', 'JSON_OBJECT', 'JSON_SCHEMA'] as const });
const ReasoningEffortEnum = builder.enumType('ReasoningEffort', { values: ['LOW', 'MEDIUM', 'HIGH'] as const });

const ToolInputRef = builder.inputType('ToolInput', {
  fields: (t) => ({
    name: t.string({ required: true, description: '1-64 letters, digits, "_" or "-"' }),
    description: t.string(),
    parameters: t.field({ type: 'JSON', required: true, description: 'A JSON Schema (an object)' }),
  }),
});

const ToolChoiceInputRef = builder.inputType('ToolChoiceInput', {
  fields: (t) => ({
    mode: t.field({ type: ToolChoiceModeEnum, required: true }),
    name: t.string({ description: 'The tool, for mode TOOL' }),
  }),
});

const ResponseFormatInputRef = builder.inputType('ResponseFormatInput', {
  fields: (t) => ({
    type: t.field({ type: ResponseFormatTypeEnum, required: true }),
    name: t.string(),
    schema: t.field({ type: 'JSON', description: 'A JSON Schema, for JSON_SCHEMA' }),
    strict: t.boolean(),
  }),
});

export const ImageInputRef = builder.inputType('ImageInput', {
  description: `Either url (http/https) or data (base64) with mediaType (${IMAGE_MEDIA_TYPES.join(', ')}); data is capped by MAX_IMAGE_BYTES`,
  fields: (t) => ({ url: t.string(), data: t.string(), mediaType: t.string() }),
});

export const ToolCallInputRef = builder.inputType('ToolCallInput', {
  fields: (t) => ({
    id: t.string({ required: true }),
    name: t.string({ required: true }),
    arguments: t.string({ required: true, description: 'JSON text of an object' }),
  }),
});

export const ToolResultInputRef = builder.inputType('ToolResultInput', {
  fields: (t) => ({ toolCallId: t.string({ required: true }), content: t.string({ required: true }) }),
});

/** The options beyond plain text that generate and chat share, as GraphQL input fields. */
export const featureOptionFields = (t: InputFields) => ({
  tools: t.field({ type: [ToolInputRef] }),
  toolChoice: t.field({ type: ToolChoiceInputRef }),
  responseFormat: t.field({ type: ResponseFormatInputRef }),
  stop: t.stringList(),
  topP: t.float(),
  reasoningEffort: t.field({ type: ReasoningEffortEnum }),
});

export const ToolCallRef = builder.objectRef<ToolCall>('ToolCall').implement({
  fields: (t) => ({ id: t.exposeString('id'), name: t.exposeString('name'), arguments: t.exposeString('arguments', { description: 'JSON text' }) }),
});

export const JsonErrorRef = builder.objectRef<JsonError>('JsonError').implement({
  description: 'Why Generation.json is null although JSON was asked; the raw reply stays in Generation.text',
  fields: (t) => ({
    code: t.exposeString('code', { description: 'JSON_PARSE_FAILED or JSON_SCHEMA_MISMATCH' }),
    message: t.exposeString('message'),
  }),
});

export const ImageRef = builder.objectRef<ImageInput>('Image').implement({
  fields: (t) => ({
    url: t.string({ nullable: true, resolve: (i) => ('url' in i ? i.url : null) }),
    data: t.string({ nullable: true, description: 'base64', resolve: (i) => ('data' in i ? i.data : null) }),
    mediaType: t.string({ nullable: true, resolve: (i) => ('mediaType' in i ? i.mediaType : null) }),
  }),
});

export const ToolCallDeltaRef = builder.objectRef<ToolCallDeltaEvent>('ToolCallDelta').implement({
  description: 'A fragment of a tool call: id and name come with its first fragment; argumentsDelta concatenate in order',
  isTypeOf: (v) => (v as { type?: string }).type === 'toolCallDelta',
  fields: (t) => ({
    index: t.exposeInt('index'),
    id: t.exposeString('id', { nullable: true }),
    name: t.exposeString('name', { nullable: true }),
    argumentsDelta: t.exposeString('argumentsDelta'),
  }),
});

export const ReasoningDeltaRef = builder.objectRef<ReasoningDeltaEvent>('ReasoningDelta').implement({
  isTypeOf: (v) => (v as { type?: string }).type === 'reasoningDelta',
  fields: (t) => ({ text: t.exposeString('text') }),
});
