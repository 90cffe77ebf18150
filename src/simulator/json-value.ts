// The simulator's deterministic JSON: a value satisfying a (simple) JSON Schema, with strings
// derived from the prompt. Used for tool-call arguments and structured output. Covers type,
// properties/required, items, enum, const, anyOf/oneOf/allOf (first branch), nullable types;
// string-length, pattern and numeric-range keywords are not honoured (tests use that to get
// output that does not match its schema).

type Json = Record<string, unknown>;
const isRecord = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

export function valueFor(schema: unknown, prompt: string, depth = 0): unknown {
  if (!isRecord(schema) || depth > 8) return prompt;
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  for (const key of ['anyOf', 'oneOf', 'allOf'] as const) {
    const branches = schema[key];
    if (Array.isArray(branches) && branches.length > 0) return valueFor(branches[0], prompt, depth + 1);
  }
  const types = Array.isArray(schema.type) ? schema.type.filter((t) => t !== 'null') : [schema.type];
  const type = types[0] ?? (isRecord(schema.properties) ? 'object' : 'string');
  switch (type) {
    case 'object': {
      const properties = isRecord(schema.properties) ? schema.properties : {};
      return Object.fromEntries(Object.entries(properties).map(([name, sub]) => [name, valueFor(sub, prompt, depth + 1)]));
    }
    case 'array':
      return [valueFor(schema.items, prompt, depth + 1)];
    case 'integer':
    case 'number':
      return prompt.split(/\s+/).filter(Boolean).length;
    case 'boolean':
      return true;
    case 'null':
      return null;
    default:
      return prompt;
  }
}
