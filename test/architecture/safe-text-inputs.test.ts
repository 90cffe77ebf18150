// The door rule on every text an API takes (domain/safe-text.ts): no NUL, lone surrogate or
// control character reaches the database, a log or an upstream. This walks the zod schema of
// every tRPC procedure (GraphQL hands its inputs to the same schemas) and requires each string
// to be either restricted by a format (a regex, uuid, email, url, ...) or checked by the door
// rule (safeString(), or the out-side of a pipe whose in-side is). A field added without it fails
// here, before a fuzz seed finds it (the transport fuzz found a team name with a lone surrogate
// that PostgreSQL refused in the audit log's JSON).
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { appRouter } from '../../src/trpc/router.ts';

type Node = z.ZodType & { _zod: { def: Record<string, unknown> & { type: string; checks?: unknown[] } } };

type Check = { _zod: { def: { check: string; format?: string; pattern?: RegExp } } };
/** A pattern that lists what it allows (no negated class, no `.` outside a class) refuses a lone surrogate. */
function allowList(pattern: RegExp): boolean {
  const source = pattern.source;
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') i++;
    else if (!inClass && c === '[') {
      if (source[i + 1] === '^') return false;
      inClass = true;
    } else if (inClass && c === ']') inClass = false;
    else if (!inClass && c === '.') return false;
  }
  return true;
}
/** A format refuses a lone surrogate, except a URL (new URL() percent-encodes one) and a pattern that allows anything but a few characters. */
const refusesLoneSurrogate = (format: string | undefined, pattern?: RegExp) =>
  format === 'regex' ? pattern !== undefined && allowList(pattern) : format !== undefined && format !== 'url';

/** A string node is safe when one of its checks refuses a lone surrogate: the door rule (a custom refinement) or a format that does. */
const restricted = (node: Node): boolean => {
  const def = node._zod.def;
  if (def.type === 'pipe') return restricted(def.in as Node) || restricted(def.out as Node);
  if (def.type !== 'string') return false;
  if (typeof def.format === 'string' && refusesLoneSurrogate(def.format, def.pattern as RegExp | undefined)) return true;
  return ((def.checks ?? []) as Check[]).some((c) => c._zod.def.check === 'custom' || (c._zod.def.check === 'string_format' && refusesLoneSurrogate(c._zod.def.format, c._zod.def.pattern)));
};

function unsafeStrings(node: Node, path: string, out: string[], seen = new Set<Node>()): void {
  const def = node._zod.def;
  // A recursive (lazy) schema is walked once; a shared one is walked at each of its places.
  if (def.type === 'lazy') {
    if (seen.has(node)) return;
    seen.add(node);
  }
  const walk = (child: unknown, at = path) => unsafeStrings(child as Node, at, out, seen);
  switch (def.type) {
    case 'string':
      if (!restricted(node)) out.push(path || '(root)');
      return;
    case 'pipe': {
      const input = def.in as Node;
      // Text coerced to a date: anything that is not a date-time is refused.
      if ((def.out as Node)._zod.def.type === 'date') return;
      // Text piped on: safe when either side checks it (the in-side sees the raw text).
      if (input._zod.def.type === 'string') {
        if (!restricted(node)) out.push(path || '(root)');
        return;
      }
      walk(input);
      return;
    }
    case 'object':
      for (const [key, value] of Object.entries(def.shape as Record<string, unknown>)) walk(value, path ? `${path}.${key}` : key);
      if (def.catchall) walk(def.catchall, `${path}.*`);
      return;
    case 'array':
      return walk(def.element, `${path}.0`);
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'readonly':
    case 'nonoptional':
    case 'catch':
      return walk(def.innerType);
    case 'union':
      for (const option of def.options as unknown[]) walk(option);
      return;
    case 'intersection':
      walk(def.left);
      walk(def.right);
      return;
    case 'record':
      walk(def.keyType, `${path}.<key>`);
      walk(def.valueType, `${path}.*`);
      return;
    case 'tuple':
      (def.items as unknown[]).forEach((item, i) => walk(item, `${path}.${i}`));
      return;
    case 'lazy':
      return walk((def.getter as () => unknown)());
    default:
      // numbers, booleans, enums, literals, dates, unknown JSON (a tool's schema: checked on its own)
      return;
  }
}

/**
 * Strings checked by their enclosing schema's own refinement, which the walk cannot see:
 * a tool's or response format's JSON Schema (compiled whole, every key and value checked by the
 * door rule: `tools.0.parameters` answers BAD_INPUT for a lone surrogate in a key or a value) and
 * an audio clip's base64 (`audioInput` refuses anything but base64).
 */
const CHECKED_BY_THEIR_OBJECT = new Set(['tools.0.parameters.<key>', 'responseFormat.schema.<key>', 'audio.data']);

const procedures = Object.entries((appRouter as unknown as { _def: { procedures: Record<string, { _def: { inputs: Node[] } }> } })._def.procedures);

describe('the door rule on every input string', () => {
  it('the walk sees the procedures and their string fields (it would find an unchecked one)', () => {
    expect(procedures.length).toBeGreaterThan(40);
    const found: string[] = [];
    unsafeStrings(procedures.find(([p]) => p === 'generate')![1]._def.inputs[0]!, '', found);
    expect(found).toEqual(['tools.0.parameters.<key>', 'responseFormat.schema.<key>']);
    // A bare z.string() is flagged, a formatted or refined one is not.
    const probe: string[] = [];
    unsafeStrings(z.object({ a: z.string().max(5), b: z.string().regex(/^x$/), c: z.string().superRefine(() => undefined).pipe(z.string().trim()), d: z.array(z.string().trim()).optional(), e: z.string().regex(/^[^\u0000]*$/), f: z.url(), g: z.uuid() }) as unknown as Node, '', probe);
    expect(probe).toEqual(['a', 'd.0', 'e', 'f']);
  });

  it.each(procedures.filter(([, p]) => p._def.inputs.length > 0))('%s', (_path, procedure) => {
    const found: string[] = [];
    for (const input of procedure._def.inputs) unsafeStrings(input, '', found);
    expect(found.filter((path) => !CHECKED_BY_THEIR_OBJECT.has(path))).toEqual([]);
  });
});
