// `--help` / `-h` for every command-line entry point (the CLIs and `npm run simulator`).

/** `--help` / `-h` anywhere in argv: print the usage and stop, before anything is opened. */
export function helpRequested(argv: readonly string[], usage: string): boolean {
  if (!argv.includes('--help') && !argv.includes('-h')) return false;
  process.stdout.write(`${usage}\n`);
  return true;
}
