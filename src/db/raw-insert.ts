// Multi-row INSERTs through prisma.$executeRawUnsafe, for group commits of append-only rows.
// A Prisma.Decimal parameter keeps its exact value (Prisma 7; 6.19 sent it through float64, and
// test/db/data-round-trip.test.ts guards that it stays exact).

export interface RawColumn {
  /** Column name as in the schema (quoted in the SQL). */
  name: string;
  /** PostgreSQL type to cast the parameter to, e.g. 'uuid', 'numeric', '"CallStatus"'. */
  cast?: string;
}

/** PostgreSQL's limit on bind parameters in one statement. */
export const MAX_BIND_PARAMS = 65_535;

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
      params.push(row[c]);
      return column.cast ? `$${params.length}::${column.cast}` : `$${params.length}`;
    });
    return `(${slots.join(', ')})`;
  });
  const names = columns.map((c) => quote(c.name)).join(', ');
  return { sql: `INSERT INTO ${quote(table)} (${names}) VALUES ${tuples.join(', ')}`, params };
}
