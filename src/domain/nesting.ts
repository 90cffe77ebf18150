// How deeply a request nests, measured without recursion (so a 20,000-deep value cannot overflow
// the stack here): parsers and validators downstream recurse, so anything past the limit is
// refused as BAD_INPUT before they see it.
export const MAX_NESTING = 64;

/** Bracket nesting of GraphQL text ({ [ ( ), string literals and comments skipped. */
export function textNesting(text: string): number {
  let depth = 0;
  let max = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      const block = text.startsWith('"""', i);
      if (block) {
        const end = text.indexOf('"""', i + 3);
        i = end < 0 ? text.length : end + 2;
      } else {
        for (i++; i < text.length && text.charCodeAt(i) !== 0x22; i++) if (text.charCodeAt(i) === 0x5c) i++;
      }
    } else if (c === 0x23 /* # */) {
      const end = text.indexOf('\n', i);
      i = end < 0 ? text.length : end;
    } else if (c === 0x7b || c === 0x5b || c === 0x28) {
      if (++depth > max) max = depth;
    } else if (c === 0x7d || c === 0x5d || c === 0x29) {
      depth--;
    }
  }
  return max;
}

/** Nesting of a parsed JSON value (arrays and objects), iteratively; stops counting past `limit`. */
export function valueNesting(value: unknown, limit = MAX_NESTING): number {
  let max = 0;
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    const depth = d + 1;
    if (depth > max) max = depth;
    if (max > limit) return max;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, depth]);
  }
  return max;
}
