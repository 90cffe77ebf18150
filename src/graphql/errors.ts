// The one mapping of errors to GraphQL: AppError -> extensions.code (+ safe details); GraphQL's
// own request errors (syntax, validation) -> BAD_INPUT; anything else -> INTERNAL, masked.
import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { AppError, HTTP_STATUS, retryAfterHeader, toAppError, type ErrorCode } from '../platform/errors.ts';
import type { Logger } from '../platform/logger.ts';

/**
 * Execution errors whose HTTP status a GraphQL POST answers with, as tRPC does (yoga takes the
 * highest `extensions.http.status` of a result's errors and strips `http` from the body); others
 * answer 200. UNAVAILABLE also carries its Retry-After header.
 */
const HTTP_STATUS_ON_POST: Partial<Record<ErrorCode, number>> = { IDEMPOTENCY_CONFLICT: HTTP_STATUS.IDEMPOTENCY_CONFLICT, UNAVAILABLE: HTTP_STATUS.UNAVAILABLE };

function httpExtension(app: AppError): { http: { status: number; headers?: Record<string, string> } } | undefined {
  const status = HTTP_STATUS_ON_POST[app.code];
  if (status === undefined) return undefined;
  const retryAfter = retryAfterHeader(app);
  return { http: { status, ...(retryAfter && { headers: { 'retry-after': retryAfter } }) } };
}

/** Production answers no "Did you mean ...?" (it would list the schema's names to anyone). */
export function withoutSuggestions(message: string): string {
  return message.replace(/\s*Did you mean [^?]*\?/g, '');
}

const RULE_WINDOW = 300;
const TYPE = '"?([\\w!\\[\\]]+)"?';
/** The rule a coercion message states, without the value it quotes (schema names only). */
const REASONS: ReadonlyArray<[RegExp, (m: RegExpExecArray) => string]> = [
  [new RegExp(`Expected non-nullable type ${TYPE} not to be null`), (m) => `expected a non-null ${m[1]}`],
  [new RegExp(`Field "(\\w+)" of required type ${TYPE} was not provided`), (m) => `field "${m[1]}" of required type ${m[2]} was not provided`],
  [new RegExp(`is not defined by type ${TYPE}`), (m) => `a field that type ${m[1]} does not define`],
  [new RegExp(`does not exist in ${TYPE} enum`), (m) => `not a value of enum ${m[1]}`],
  [new RegExp(`Expected type ${TYPE} to be an object`), (m) => `expected an object of type ${m[1]}`],
  [new RegExp(`Expected type ${TYPE}`), (m) => `expected type ${m[1]}`],
  [/(\w+) cannot represent/, (m) => `not a valid ${m[1]}`],
  [/(\w+) must be an? ([\w -]+)$/, (m) => `${m[1]} must be a ${m[2]}`],
];

/**
 * GraphQL's own coercion messages quote the value they rejected, which may be a prompt or a
 * secret: the answer keeps the variable, the path and the rule, never the value.
 */
export function withoutEchoedValues(message: string): string {
  const variable = /^Variable "\$(\w+)" got invalid value /.exec(message);
  if (variable) {
    // graphql-js: `... got invalid value <v> at "<path>"; <rule>`; graphql-jit: `... <v>; <rule> at value.<path>.`
    // (A path names the variable first; the rule is read after it, so an echoed value cannot pose as either.)
    const jsPath = [...message.matchAll(/ at "([\w.[\]]+)"; /g)].find((m) => m[1] === variable[1] || m[1]!.startsWith(`${variable[1]}.`) || m[1]!.startsWith(`${variable[1]}[`));
    const jitPath = / at value([\w.[\]]*?)\.?$/.exec(message)?.[1];
    const path = jsPath?.[1] ?? (jitPath === undefined ? undefined : `value${jitPath}`);
    // The rule is read in a bounded window (a value can be 100 KB; no pattern may scan it): right
    // after the path (graphql-js), else the message's end (graphql-jit, or no path).
    const window = jsPath ? message.slice(jsPath.index! + jsPath[0].length, jsPath.index! + jsPath[0].length + RULE_WINDOW) : message.slice(-RULE_WINDOW);
    const rule = REASONS.map(([re, say]) => { const m = re.exec(window); return m && say(m); }).find((r) => r) ?? 'it does not match its type';
    return `Variable "$${variable[1]}" got an invalid value${path ? ` at "${path}"` : ''}: ${rule}.`;
  }
  // A literal in the document: `Expected value of type "T", found <v>; ...`, `String cannot represent ...: <v>`.
  const expected = /^(Expected value of type "[^"]+"), found /.exec(message);
  if (expected) return `${expected[1]}.`;
  const scalar = /^(\w+ cannot represent [^:]*): /.exec(message);
  if (scalar) return `${scalar[1]}.`;
  // An enum literal that is a GraphQL name (it cannot carry text) stays named.
  const enumValue = /^Value "(.*)" does not exist in ("\w+" enum)/s.exec(message);
  if (enumValue && !/^\w+$/.test(enumValue[1]!)) return `The value does not exist in ${enumValue[2]}.`;
  return message;
}

export function createMaskError(logger: Logger, { production = false }: { production?: boolean } = {}) {
  const clientMessage = (message: string) => withoutEchoedValues(production ? withoutSuggestions(message) : message);
  return function maskError(error: unknown): Error {
    if (!isGraphQLError(error)) {
      const app = toAppError(error);
      if (app.code === 'INTERNAL') return internal(error, logger);
      return new GraphQLError(app.message, { extensions: { code: app.code, ...app.details, ...httpExtension(app) } });
    }
    const original = error.originalError;
    const app = original instanceof AppError ? original : original && !isGraphQLError(original) ? toAppError(original) : undefined;
    if (app && app.code !== 'INTERNAL') {
      return new GraphQLError(app.message, {
        nodes: error.nodes,
        source: error.source,
        positions: error.positions,
        path: error.path,
        extensions: { code: app.code, ...app.details, ...httpExtension(app) },
      });
    }
    if (app) {
      if (original instanceof AppError) {
        logger.error('internal error', { cause: original.cause ?? original });
        return new GraphQLError(original.message, {
          nodes: error.nodes,
          source: error.source,
          positions: error.positions,
          path: error.path,
          extensions: { code: original.code, ...original.details },
        });
      }
      return new GraphQLError(internal(original, logger).message, {
        nodes: error.nodes,
        path: error.path,
        extensions: { code: 'INTERNAL' },
      });
    }
    // GraphQL's own errors (syntax, validation, variable coercion): safe to show, a client mistake.
    // graphql-jit's variable coercion errors carry no extensions object at all.
    const extensions = error.extensions ?? {};
    const code = typeof extensions.code === 'string' && isAppCode(extensions.code) ? extensions.code : 'BAD_INPUT';
    return new GraphQLError(clientMessage(error.message), {
      nodes: error.nodes,
      source: error.source,
      positions: error.positions,
      path: error.path,
      extensions: { ...extensions, code, http: { status: errorStatus(extensions.http) ?? HTTP_STATUS[code] ?? 400 } },
    });
  };
}

function internal(error: unknown, logger: Logger): GraphQLError {
  logger.error('unexpected error', { cause: error });
  return new GraphQLError('Internal error', { extensions: { code: 'INTERNAL' } });
}

/** An error status a GraphQL error already carries (e.g. 413 from the body limit), if any. */
function errorStatus(http: unknown): number | undefined {
  const status = (http as { status?: unknown } | undefined)?.status;
  return typeof status === 'number' && status >= 400 ? status : undefined;
}

/** Duck-typed: yoga may load graphql's CJS build while this file gets the ESM one. */
function isGraphQLError(error: unknown): error is GraphQLError {
  return error instanceof Error && error.name === 'GraphQLError' && 'extensions' in error;
}

function isAppCode(code: string): code is keyof typeof HTTP_STATUS {
  return code in HTTP_STATUS;
}

/**
 * A request error (syntax, validation) with the contract code BAD_INPUT, whatever the library
 * named it (graphql-ws returns parse errors unmasked, as GRAPHQL_PARSE_FAILED).
 */
export function badInputError(e: GraphQLError, production: boolean, { socket = false }: { socket?: boolean } = {}): GraphQLError {
  // A socket or stream answer drops yoga's `http` hint (only HTTP answers read it).
  const { http, ...rest } = e.extensions ?? {};
  const extensions = socket || http === undefined ? rest : { ...rest, http };
  return new GraphQLError(withoutEchoedValues(production ? withoutSuggestions(e.message) : e.message), {
    nodes: e.nodes,
    source: e.source,
    positions: e.positions,
    extensions: { ...extensions, code: 'BAD_INPUT' },
  });
}

/** Validation errors skip masking in yoga: give them the contract code too. */
export function validationCodePlugin({ production = false }: { production?: boolean } = {}): Plugin {
  return {
    onValidate() {
      return ({ valid, result, setResult }) => {
        if (valid) return;
        setResult(result.map((e) => badInputError(e, production)));
      };
    },
  };
}
