// Structured output: JSON Schemas compiled once (ajv, cached by their text) and the check of a
// reply against the asked format. A reply that does not parse, or does not match the schema,
// keeps its raw text and says why with a stable code.
import { Ajv, type ValidateFunction } from 'ajv';
import type { ResponseFormat } from '../../upstream/call-vocabulary.ts';

export type JsonErrorCode = 'JSON_PARSE_FAILED' | 'JSON_SCHEMA_MISMATCH';
export interface JsonError {
  code: JsonErrorCode;
  message: string;
}
export interface JsonOutput {
  json: unknown;
  jsonError: JsonError | null;
}

const ajv = new Ajv({ strict: false, allErrors: false, validateSchema: true });
const CACHE_LIMIT = 256;
const cache = new Map<string, ValidateFunction>();

/** A compiled validator, or why the schema cannot be used. */
export function compileSchema(schema: Record<string, unknown>): { validate?: ValidateFunction; error?: string } {
  const key = JSON.stringify(schema);
  const hit = cache.get(key);
  if (hit) return { validate: hit };
  try {
    const validate = ajv.compile(schema);
    if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value!);
    cache.set(key, validate);
    return { validate };
  } catch (error) {
    return { error: error instanceof Error ? error.message.slice(0, 200) : 'invalid schema' };
  }
}

/** The parsed JSON of a reply when JSON was asked (null otherwise), and why it is not usable when it is not. */
export function jsonOutputOf(text: string, format: ResponseFormat | undefined): JsonOutput {
  if (!format || format.type === 'TEXT') return { json: null, jsonError: null };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { json: null, jsonError: { code: 'JSON_PARSE_FAILED', message: `the reply is not JSON: ${error instanceof Error ? error.message : 'parse error'}` } };
  }
  if (format.type === 'JSON_OBJECT') {
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return { json: value, jsonError: null };
    return { json: null, jsonError: { code: 'JSON_SCHEMA_MISMATCH', message: 'the reply is JSON but not an object' } };
  }
  const { validate, error } = compileSchema(format.schema);
  if (!validate) return { json: null, jsonError: { code: 'JSON_SCHEMA_MISMATCH', message: `schema unusable: ${error}` } };
  if (validate(value)) return { json: value, jsonError: null };
  const first = validate.errors?.[0];
  return { json: null, jsonError: { code: 'JSON_SCHEMA_MISMATCH', message: `the reply does not match the schema: ${first ? `${first.instancePath || '/'} ${first.message ?? ''}` : 'invalid'}`.trim() } };
}
