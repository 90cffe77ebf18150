// A raw SQL session on one connection of either driver (node-postgres or PGlite), used where
// Prisma is the wrong tool: applying migration scripts (multi-statement, under a session-level
// advisory lock) and pinging. Application code uses Prisma, not this.

export type SqlRow = Record<string, unknown>;

export interface SqlSession {
  /** One statement with $1.. parameters; rows as objects. */
  query<Row extends SqlRow = SqlRow>(sql: string, params?: readonly unknown[]): Promise<Row[]>;
  /** A script of one or more statements, without parameters (simple query protocol). */
  exec(sql: string): Promise<void>;
}

/** Runs `fn` on one dedicated connection, released afterwards (destroyed if `fn` threw). */
export type WithSqlSession = <T>(fn: (session: SqlSession) => Promise<T>) => Promise<T>;
