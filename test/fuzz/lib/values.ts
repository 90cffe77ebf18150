// Values for generated operations: plausible ones drawn from pools the suite fills with real ids,
// models and cursors (so valid calls get far), and hostile ones (NUL, lone surrogates, control
// characters, huge and negative numbers, bad cursors and ids, wrong types, deep nesting).
import fc from 'fast-check';

/** Every prompt-like text carries this marker: it must never reach a log line or an error message. */
export const PROMPT_MARK = 'PRMTMARK';

export interface Pools {
  ids: string[];
  userIds: string[];
  cursors: string[];
  models: string[];
}

export const BAD_CURSORS = ['MjAyNnx4', 'bm90IGEgY3Vyc29y', Buffer.from('2026-01-01T00:00:00.000Z|x').toString('base64url'), '@@@', '', 'A'.repeat(300)];
const BAD_IDS = ['not-a-uuid', '00000000-0000-0000-0000-000000000000', '\u0000', "' OR 1=1 --", '../../etc/passwd', 'a'.repeat(500)];

const nested = (depth: number): unknown => (depth === 0 ? 'x' : [nested(depth - 1)]);
const nestedObject = (depth: number): unknown => (depth === 0 ? {} : { a: nestedObject(depth - 1) });

/** Strings no door should let through to storage or a header. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('\u0000', 'a\u0000b', '\uD800', 'x\uDC00y', '\u0007bell', '\u001b[31m', '\u007f', '\u0085', '\r\n\r\nX-Injected: 1', ''),
  fc.constantFrom(...BAD_IDS, ...BAD_CURSORS),
  fc.constant('y'.repeat(120_000)),
  fc.string({ unit: 'binary', maxLength: 40 }),
);

/** Anything at all where some type was expected. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  hostileString,
  fc.constantFrom(-1, 0, -2_147_483_649, 2_147_483_648, Number.MAX_SAFE_INTEGER, 1e308, -1e308, 0.5, -0.0001, 1e-300),
  fc.constantFrom(null, true, false, [], {}, [null], { __proto__: { polluted: true } }, { constructor: { prototype: {} } }),
  fc.constant(nested(64)),
  fc.constant(nestedObject(64)),
  fc.jsonValue({ maxDepth: 3 }),
);

export function textArb(): fc.Arbitrary<string> {
  return fc.oneof(fc.constantFrom('hello', 'What is 2+2?', 'one two three'), fc.string({ maxLength: 30 })).map((t) => `${PROMPT_MARK} ${t}`);
}

const ISO = fc.date({ min: new Date('2025-01-01T00:00:00Z'), max: new Date('2027-12-31T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString());

/** A plausible string for a field, by its name. */
export function stringFor(name: string, pools: Pools): fc.Arbitrary<string> {
  const n = name.toLowerCase();
  if (n === 'model' || n.endsWith('model') || n === 'models' || n === 'allowedmodels') return fc.constantFrom(...pools.models);
  if (n === 'after' || n.endsWith('cursor')) return fc.constantFrom(...pools.cursors, ...BAD_CURSORS);
  if (n === 'userid') return fc.constantFrom(...pools.userIds, ...BAD_IDS.slice(0, 2));
  if (n === 'id' || n.endsWith('id') || n.endsWith('ids')) return fc.constantFrom(...pools.ids, ...BAD_IDS.slice(0, 2));
  if (n.includes('email')) return fc.emailAddress();
  if (n === 'from' || n === 'to' || n.endsWith('at') || n.includes('date') || n.includes('time')) return fc.oneof(ISO, fc.constantFrom('2026-13-45', 'yesterday'));
  if (['prompt', 'message', 'content', 'system', 'text', 'description', 'arguments', 'title'].includes(n)) return n === 'arguments' ? fc.constantFrom('{}', '{"a":1}', 'not json') : textArb();
  if (n === 'role') return fc.constantFrom('user', 'assistant', 'USER', 'ADMIN', 'tool', 'system');
  if (n === 'name') return fc.constantFrom('weather', 'fuzz', 'a-b_c', 'bad name!');
  if (n.includes('usd') || n.includes('price') || n.includes('cost') || n.includes('pertok') || n.includes('budget')) return fc.constantFrom('0', '0.01', '25.00', '-1', '1e9', 'abc');
  if (n.includes('idempotency')) return fc.constantFrom('key-1', 'key-2', '\u0000');
  return fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom('default', 'fuzz'));
}

/** A plausible integer for a field, by its name. */
export function intFor(name: string): fc.Arbitrary<number> {
  const n = name.toLowerCase();
  if (n === 'first' || n === 'limit') return fc.integer({ min: 1, max: 50 });
  if (n.includes('tokens')) return fc.integer({ min: 1, max: 64 });
  return fc.integer({ min: 0, max: 100 });
}

/** Plausible; in hostile operations, sometimes anything. */
export const sometimesHostile = <T>(valid: fc.Arbitrary<T>, hostile: boolean): fc.Arbitrary<unknown> =>
  hostile ? fc.oneof({ arbitrary: valid as fc.Arbitrary<unknown>, weight: 5 }, { arbitrary: hostileValue, weight: 1 }) : valid;
