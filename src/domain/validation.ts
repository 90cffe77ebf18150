// Input validation shared by both adapters: a zod failure becomes BAD_INPUT naming the field.
import { z } from 'zod';
import { AppError } from '../platform/errors.ts';
import { safeString } from './safe-text.ts';

export function badInputFromZod(error: z.ZodError, prefix = 'input'): AppError {
  const issue = error.issues[0];
  const path = issue && issue.path.length > 0 ? issue.path.join('.') : prefix;
  const message = issue ? `${path}: ${issue.message}` : 'Invalid input';
  return new AppError('BAD_INPUT', message, { field: path }, { cause: error });
}

export function parseInput<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw badInputFromZod(parsed.error);
  return parsed.data;
}

/**
 * An id argument. Any non-empty string is accepted: an id that is not one of ours (not even a
 * UUID) is simply missing, which the service answers with NOT_FOUND, like another user's.
 */
export const entityId = safeString().pipe(z.string().trim().min(1, 'must not be empty').max(200));

/** Years a stored date may have: anything outside is a client mistake (BAD_INPUT), never a database error. */
export const MIN_DATE = Date.UTC(1970, 0, 1);
export const MAX_DATE = Date.UTC(10_000, 0, 1) - 1;

const DATE_MESSAGE = 'must be an ISO-8601 date-time';

/**
 * An ISO-8601 date-time (a Date or a string) between 1970 and 9999. Its input type is
 * `string | Date` (not `unknown`, as z.coerce.date() alone infers), so a tRPC client sees
 * `from: string | Date` in usage.report and every other dated input.
 */
export const dateInput = z
  .union([z.string({ message: DATE_MESSAGE }), z.date({ message: DATE_MESSAGE })], { message: DATE_MESSAGE })
  .pipe(z.coerce.date({ message: DATE_MESSAGE }))
  .refine((d) => !Number.isNaN(d.getTime()), DATE_MESSAGE)
  .refine((d) => d.getTime() >= MIN_DATE && d.getTime() <= MAX_DATE, 'must be between 1970 and 9999');

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (id: string): boolean => UUID.test(id);
