// The fingerprint of a call's input for idempotency: sha256 over the operation name and the
// canonical JSON of the input without its idempotencyKey. Canonical: keys sorted, null and
// undefined fields dropped, so the same input sent through GraphQL (explicit nulls) and tRPC
// (absent fields) hashes the same.
import { createHash } from 'node:crypto';

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== null && v !== undefined) out[key] = canonical(v);
    }
    return out;
  }
  return value;
}

export function inputHash(operation: string, input: Record<string, unknown>): string {
  const { idempotencyKey: _ignored, ...rest } = input;
  return createHash('sha256').update(operation).update('\0').update(JSON.stringify(canonical(rest))).digest('hex');
}
