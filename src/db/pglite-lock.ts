// One process only may open a PGlite data directory: a lock file holding the owner's pid.
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export const LOCK_FILE = 'switchboard.lock';

/**
 * Whether the lock's holder still runs. A zombie does not: it was killed (or exited) and holds no
 * file, but answers signal 0 until its parent reaps it, which may be never where the process
 * that adopts orphans does not reap them (a container without an init): its lock is stale.
 */
export function holderAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    // EPERM: it exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  return !isZombie(pid);
}

function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state === 'Z' || state === 'X';
  } catch {
    return false; // no /proc (not Linux): signal 0 is all there is
  }
}

/** Takes the lock on `dataDir` or throws naming the process that holds it; returns the release. */
export function lockDataDir(dataDir: string): () => void {
  const path = join(dataDir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(path, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
      if (Number.isInteger(pid) && pid > 0 && holderAlive(pid)) {
        const who = pid === process.pid ? 'this process' : `process ${pid}`;
        throw new Error(
          `The embedded database in ${dataDir} is already open in ${who}; only one process may ` +
            `use a DATA_DIR at a time (set DATABASE_URL to share a PostgreSQL server instead). ` +
            `If no such process runs, delete ${path}.`,
        );
      }
      // Stale lock of a process that died: take it over.
      rmSync(path, { force: true });
    }
  }
  throw new Error(`Could not lock the embedded database in ${dataDir} (${path})`);
}
