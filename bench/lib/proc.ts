// CPU time and memory of local processes from /proc (Linux).
import { readFileSync } from 'node:fs';

const CLOCK_TICKS = 100; // USER_HZ on Linux
const PAGE_SIZE = 4096;

/** User + system CPU time of `pid` (all its threads) so far, in microseconds; undefined if it is gone. */
export function cpuMicrosOf(pid: number): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // Fields after the "(comm)": utime is field 14, stime 15 (1-based).
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1_000_000) / CLOCK_TICKS;
}

/** Resident set size of `pid` now, in bytes (0 if it is gone). */
export function rssBytesOf(pid: number): number {
  try {
    return Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]) * PAGE_SIZE;
  } catch {
    return 0;
  }
}

/**
 * Times the main thread (the event loop) of `pid` went to sleep and was woken so far: its
 * voluntary context switches (each one an epoll wait that ended). 0 if it is gone.
 */
export function wakeupsOf(pid: number): number {
  try {
    return Number(readFileSync(`/proc/${pid}/status`, 'utf8').match(/^voluntary_ctxt_switches:\s+(\d+)$/m)?.[1] ?? 0);
  } catch {
    return 0;
  }
}
