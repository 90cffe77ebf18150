// The structured logger: pino, JSON lines on stderr. Every line written while a request is served
// carries that request's id (AsyncLocalStorage). Redaction happens here, for every line:
// - configured secrets (Cloudflare token, admin key), Switchboard API keys (sb_<prefix>_<secret>)
//   and bearer tokens are replaced by "[redacted]", always;
// - an error is logged by name, code (and SQLSTATE) and message; unless LOG_PROMPTS=true, the
//   message of an error that is not Switchboard's own (a database driver's, Prisma's, a
//   library's) is cut to its first line with every quoted part masked: such messages embed the
//   query's parameters or the call's arguments (a prompt, a system prompt, tool content), and
//   the rest of an error (parameters, bodies, meta) is never logged.
// Prompts and completions are logged only by the LOG_PROMPTS=true call sites.
import pino from 'pino';
import { currentRequest } from './request-context.ts';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export interface LoggerOptions {
  /** LOG_PROMPTS=true: errors keep their whole message (it may hold request data). */
  logPrompts?: boolean;
}

const API_KEY = /sb_([0-9a-f]{12})_[A-Za-z0-9_-]{43}/g;
const BEARER = /(Bearer\s+)[^\s"'\\,;]+/gi;

/** A line with every known secret, API key and bearer token replaced. */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  const known = secrets.reduce((t, s) => (s ? t.split(s).join('[redacted]') : t), text);
  return known.replace(API_KEY, 'sb_$1_[redacted]').replace(BEARER, '$1[redacted]');
}

export function createLogger(
  level: LogLevel,
  secrets: readonly string[] = [],
  write: (line: string) => void = (line) => void process.stderr.write(line + '\n'),
  { logPrompts = false }: LoggerOptions = {},
): Logger {
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
    { write: (line: string) => write(redactSecrets(line.endsWith('\n') ? line.slice(0, -1) : line, secrets)) },
  );
  const log = (at: Exclude<LogLevel, 'silent'>) => (message: string, fields?: Record<string, unknown>) => {
    if (!base.isLevelEnabled(at)) return;
    const entry: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(fields ?? {})) entry[k] = v instanceof Error ? describeError(v, logPrompts, 0) : v;
    base[at](entry, message);
  };
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}

/** Switchboard's own errors (messages written for the caller) keep their message. */
const OWN_ERRORS = new Set(['AppError', 'EnvError', 'GatewayLogsError']);

/** The first non-empty line of a library's message, each quoted part masked, at most 200 characters. */
export function safeErrorMessage(message: string): string {
  const line = message.split('\n').find((l) => l.trim() !== '')?.trim() ?? '';
  const masked = line.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '…');
  return masked.length > 200 ? `${masked.slice(0, 200)}…` : masked;
}

function sqlStateOf(error: Error): string | undefined {
  const e = error as { meta?: { code?: unknown; driverAdapterError?: { cause?: { originalCode?: unknown } } }; originalCode?: unknown };
  for (const code of [e.originalCode, e.meta?.code, e.meta?.driverAdapterError?.cause?.originalCode]) if (typeof code === 'string') return code;
  return undefined;
}

function describeError(error: Error, logPrompts: boolean, depth: number): Record<string, unknown> {
  const raw = (error as { code?: unknown }).code;
  const code = typeof raw === 'string' || typeof raw === 'number' ? raw : undefined;
  const sqlState = sqlStateOf(error);
  const own = OWN_ERRORS.has(error.name);
  const message = logPrompts || own ? error.message : safeErrorMessage(error.message);
  const cause = error.cause instanceof Error && depth < 5 ? describeError(error.cause, logPrompts, depth + 1) : undefined;
  return { name: error.name, message, ...(code !== undefined && { code }), ...(sqlState && sqlState !== code && { sqlState }), ...(cause && { cause }) };
}
