// Input validation shared by both adapters: a zod failure becomes BAD_INPUT naming the field.
import { z } from 'zod';
import { AppError } from '../errors.ts';

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
