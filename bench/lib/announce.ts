// Child-side: a bench server announces itself to the runner with one JSON line on stdout and
// stops cleanly on SIGTERM/SIGINT. CPU and RSS are read by the runner from /proc/<pid>, so the
// measured process runs no measuring code of its own.
export function announce(info: Record<string, unknown>): void {
  process.stdout.write(`BENCH_READY ${JSON.stringify({ pid: process.pid, ...info })}\n`);
}

export function onStop(stop: () => Promise<void>): void {
  let stopping = false;
  const handler = () => {
    if (stopping) return;
    stopping = true;
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`stop failed: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', handler);
  process.once('SIGINT', handler);
}
