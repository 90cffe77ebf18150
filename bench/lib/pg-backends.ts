// The CPU of the PostgreSQL backends that serve one database (the bench server's own, created
// fresh for it), summed from /proc/<pid>/stat. The backends run on this machine, so their pids
// from pg_stat_activity are local processes. A backend that starts inside the window counts its
// whole life (it began there); one that ends inside the window is lost (rare: the pool keeps its
// connections for 30 s idle, the load never idles that long).
import pg from 'pg';
import { cpuMicrosOf } from './proc.ts';

export class PgBackends {
  readonly #client: pg.Client;

  private constructor(client: pg.Client, readonly database: string) {
    this.#client = client;
  }

  static async connect(serverUrl: string, database: string): Promise<PgBackends> {
    const client = new pg.Client({ connectionString: serverUrl, application_name: 'switchboard-bench-monitor' });
    await client.connect();
    return new PgBackends(client, database);
  }

  /** CPU µs so far of every backend connected to the database now, by pid. */
  async snapshot(): Promise<Map<number, number>> {
    const { rows } = await this.#client.query<{ pid: number }>(
      'SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
      [this.database],
    );
    const cpu = new Map<number, number>();
    for (const { pid } of rows) {
      const micros = cpuMicrosOf(pid);
      if (micros !== undefined) cpu.set(pid, micros);
    }
    return cpu;
  }

  /** CPU µs the backends used between two snapshots. */
  static between(start: Map<number, number>, end: Map<number, number>): number {
    let sum = 0;
    for (const [pid, micros] of end) sum += micros - (start.get(pid) ?? 0);
    return sum;
  }

  close(): Promise<void> {
    return this.#client.end();
  }
}
