// A small structured logger (JSON lines on stderr). Errors are logged by name and code only,
// plus their message for INTERNAL ones: never a token or an Authorization header.
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };

export function createLogger(level: LogLevel, secrets: readonly string[] = [], write = (line: string) => process.stderr.write(line + '\n')): Logger {
  const redact = (text: string): string => secrets.reduce((t, s) => (s ? t.split(s).join('[redacted]') : t), text);
  const log = (at: LogLevel) => (message: string, fields?: Record<string, unknown>) => {
    if (ORDER[at] < ORDER[level]) return;
    const entry: Record<string, unknown> = { time: new Date().toISOString(), level: at, message };
    for (const [k, v] of Object.entries(fields ?? {})) entry[k] = v instanceof Error ? describeError(v) : v;
    write(redact(JSON.stringify(entry)));
  };
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}

function describeError(error: Error): Record<string, unknown> {
  const code = (error as { code?: unknown }).code;
  const cause = error.cause instanceof Error ? describeError(error.cause) : undefined;
  return { name: error.name, message: error.message, ...(code !== undefined && { code }), ...(cause && { cause }) };
}
