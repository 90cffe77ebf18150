// Multi-row INSERTs through prisma.$executeRawUnsafe, for group commits of append-only rows.
//
// Prisma 6.19 sends a Prisma.Decimal *parameter* of a raw query through float64 (on both
// adapters, tagged $queryRaw included): 1234567890.1234567891 arrives as 1234567890.1234567.
// Decimals therefore go as strings with an explicit ::numeric cast. (The ORM API is exact.)
import { Prisma } from './generated/client.ts';

export interface RawColumn {
  /** Column name as in the schema (quoted in the SQL). */
  name: string;
  /** PostgreSQL type to cast the parameter to, e.g. 'uuid', 'numeric', '"CallStatus"'. */
  cast?: string;
}

/** PostgreSQL's limit on bind parameters in one statement. */
export const MAX_BIND_PARAMS = 65_535;

/** A raw query parameter that keeps its exact value on both adapters. */
export function rawParam(value: unknown): unknown {
  return Prisma.Decimal.isDecimal(value) ? (value as Prisma.Decimal).toFixed() : value;
}

const quote = (identifier: string) => `"${identifier.replaceAll('"', '""')}"`;

/**
 * `INSERT INTO "table" (cols) VALUES ($1, ...), (...)` and its parameters, for
 * `prisma.$executeRawUnsafe(sql, ...params)`. Each row holds one value per column, in order.
 */
export function multiRowInsert(
  table: string,
  columns: readonly RawColumn[],
  rows: readonly (readonly unknown[])[],
): { sql: string; params: unknown[] } {
  if (rows.length === 0) throw new Error('multiRowInsert: no rows');
  if (rows.length * columns.length > MAX_BIND_PARAMS) {
    throw new Error(`multiRowInsert: ${rows.length * columns.length} parameters exceed ${MAX_BIND_PARAMS}`);
  }
  const params: unknown[] = [];
  const tuples = rows.map((row, r) => {
    if (row.length !== columns.length) {
      throw new Error(`multiRowInsert: row ${r} has ${row.length} values for ${columns.length} columns`);
    }
    const slots = columns.map((column, c) => {
      params.push(rawParam(row[c]));
      return column.cast ? `$${params.length}::${column.cast}` : `$${params.length}`;
    });
    return `(${slots.join(', ')})`;
  });
  const names = columns.map((c) => quote(c.name)).join(', ');
  return { sql: `INSERT INTO ${quote(table)} (${names}) VALUES ${tuples.join(', ')}`, params };
}
