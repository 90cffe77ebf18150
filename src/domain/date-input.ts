// The one schema for a date-time input: an ISO-8601 string or a Date, coerced to a Date.
// Its input type is `string | Date` (not `unknown`, as z.coerce.date() alone infers), so a
// tRPC client sees `from: string | Date` in usage.report and every other dated input.
import { z } from 'zod';

const MESSAGE = 'must be an ISO-8601 date-time';

export const dateInput = z
  .union([z.string({ message: MESSAGE }), z.date({ message: MESSAGE })], { message: MESSAGE })
  .pipe(z.coerce.date({ message: MESSAGE }))
  .refine((d) => !Number.isNaN(d.getTime()), MESSAGE);
