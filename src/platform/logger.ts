// The structured logger: pino, JSON lines on stderr. Every line written while a request is served
// carries that request's id (AsyncLocalStorage). Errors are logged by name and code only, plus
// their message: never a token or an Authorization header (configured secrets are redacted from
// every line). Prompts and completions are never logged unless LOG_PROMPTS=true.
import pino from 'pino';
import { currentRequest } from './request-context.ts';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export function createLogger(level: LogLevel, secrets: readonly string[] = [], write: (line: string) => void = (line) => void process.stderr.write(line + '\n')): Logger {
  const redact = (text: string): string => secrets.reduce((t, s) => (s ? t.split(s).join('[redacted]') : t), text);
  const base = pino(
    {
      level,
      base: undefined,
      messageKey: 'message',
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      mixin: () => {
        const request = currentRequest();
        return request ? { requestId: request.requestId } : {};
      },
    },
    { write: (line: string) => write(redact(line.endsWith('\n') ? line.slice(0, -1) : line)) },
  );
  const log = (at: Exclude<LogLevel, 'silent'>) => (message: string, fields?: Record<string, unknown>) => {
    if (!base.isLevelEnabled(at)) return;
    const entry: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(fields ?? {})) entry[k] = v instanceof Error ? describeError(v) : v;
    base[at](entry, message);
  };
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}

function describeError(error: Error): Record<string, unknown> {
  const code = (error as { code?: unknown }).code;
  const cause = error.cause instanceof Error ? describeError(error.cause) : undefined;
  return { name: error.name, message: error.message, ...(code !== undefined && { code }), ...(cause && { cause }) };
}
