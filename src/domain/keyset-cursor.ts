// The one cursor of every paged list: base64url of "<ISO time>|<uuid>", the keyset of the last
// row of a page. Anything else, however it decodes, is BAD_INPUT naming the field `after`, so a
// forged cursor never reaches the database.
import { AppError } from '../platform/errors.ts';
import { isUuid, MAX_DATE, MIN_DATE } from './validation.ts';

const BASE64URL = /^[A-Za-z0-9_-]{1,200}$/;

export interface Keyset {
  at: Date;
  id: string;
}

export function encodeKeyset({ at, id }: Keyset): string {
  return Buffer.from(`${at.toISOString()}|${id}`).toString('base64url');
}

/** The keyset a cursor names, or BAD_INPUT (field `after`). */
export function decodeKeyset(cursor: string): Keyset {
  const bad = () => new AppError('BAD_INPUT', 'after: must be a cursor from a previous page', { field: 'after' });
  if (!BASE64URL.test(cursor)) throw bad();
  const parts = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  if (parts.length !== 2) throw bad();
  const [time, id] = parts as [string, string];
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(time) || !isUuid(id)) throw bad();
  const at = new Date(time);
  if (Number.isNaN(at.getTime()) || at.getTime() < MIN_DATE || at.getTime() > MAX_DATE) throw bad();
  return { at, id };
}
