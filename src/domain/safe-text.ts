// The door rule for every string a caller sends that may be stored or forwarded: no NUL, no lone
// UTF-16 surrogate, no control character other than tab, newline and carriage return. PostgreSQL
// cannot store NUL in text, a lone surrogate is not UTF-8, and control characters in a model id
// or key end up in logs and headers. One zod helper, used by every input schema.
import { z } from 'zod';

// C0 controls except \t \n \r, DEL, C1 controls; lone surrogates (a high not followed by a low,
// a low not preceded by a high).
// (No `u` flag: the pattern works on UTF-16 code units, which is what a lone surrogate is.)
const UNSAFE_RE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The first unsafe character's description, or undefined when the text is safe. */
export function unsafeCharacter(text: string): string | undefined {
  const match = UNSAFE_RE.exec(text);
  if (!match) return undefined;
  const code = match[0].charCodeAt(0);
  if (code === 0) return 'a NUL character';
  if (code >= 0xd800 && code <= 0xdfff) return 'a lone surrogate';
  return `the control character U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
}

const SAFE_MESSAGE = 'must not contain NUL, lone surrogates or control characters other than tab, newline and carriage return';

/** A string that passes the door rule (refinements come after, e.g. `.max()`). */
export const safeString = () =>
  z.string().superRefine((text, ctx) => {
    const bad = unsafeCharacter(text);
    if (bad) ctx.addIssue({ code: 'custom', message: `${SAFE_MESSAGE} (found ${bad})` });
  });
