// A body limit for GraphQL POSTs that arrive without a Content-Length (chunked), whatever their
// content type: yoga would read any size into memory (25 MB by default). The server refuses a
// declared oversize body before yoga; this reads the body through a counting reader, stops at
// the limit, and parses the content types GraphQL over HTTP uses (JSON, application/graphql,
// urlencoded). Anything else (multipart uploads) is refused: this API takes no files.
import { GraphQLError, Kind, parse } from 'graphql';
import type { GraphQLParams, Plugin } from 'graphql-yoga';

function tooLarge(maxBytes: number): GraphQLError {
  return new GraphQLError(`Request body over ${maxBytes} bytes`, { extensions: { code: 'BAD_INPUT', field: 'body', http: { status: 413 } } });
}

async function readLimited(request: Request, maxBytes: number): Promise<string> {
  const reader = request.body?.getReader();
  if (!reader) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => {});
      throw tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

const badBody = (message: string, status = 400) => new GraphQLError(message, { extensions: { code: 'BAD_INPUT', field: 'body', http: { status } } });

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw badBody('POST body sent invalid JSON.');
  }
}

function parseForm(text: string): GraphQLParams {
  const form = new URLSearchParams(text);
  const json = (name: string) => {
    const value = form.get(name);
    return value ? parseJson(value) : undefined;
  };
  return {
    query: form.get('query') ?? undefined,
    operationName: form.get('operationName') ?? undefined,
    variables: json('variables') as GraphQLParams['variables'],
    extensions: json('extensions') as GraphQLParams['extensions'],
  };
}

export function bodyLimitPlugin(maxBytes: number): Plugin {
  return {
    onRequestParse({ request, setRequestParser }) {
      if (request.method !== 'POST' || request.headers.has('content-length')) return;
      const type = request.headers.get('content-type')?.toLowerCase() ?? '';
      setRequestParser(async (req) => {
        if (type.includes('json')) return parseJson(await readLimited(req, maxBytes)) as GraphQLParams | GraphQLParams[];
        if (type.startsWith('application/graphql')) return { query: await readLimited(req, maxBytes) };
        if (type.startsWith('application/x-www-form-urlencoded')) return parseForm(await readLimited(req, maxBytes));
        await req.body?.cancel().catch(() => {});
        throw badBody(`Unsupported content type ${type || '(none)'}: send application/json`, 415);
      });
    },
  };
}

/** Whether every root field of the document's operations is one of `fields` (an unparsable document: no). */
function onlyRootFields(query: string | undefined, fields: ReadonlySet<string>): boolean {
  if (!query) return false;
  try {
    const doc = parse(query, { noLocation: true });
    return doc.definitions.every((d) => d.kind === Kind.OPERATION_DEFINITION && d.selectionSet.selections.every((s) => s.kind === Kind.FIELD && fields.has(s.name.value)));
  } catch {
    return false;
  }
}

/**
 * The wider body limit of the operations that take audio: the server lets a GraphQL POST declare
 * up to the media limit; a body over the ordinary limit is refused here (413) unless its
 * operation selects only those fields (transcribe).
 */
export function mediaBodyLimitPlugin(maxBodyBytes: number, mediaFields: readonly string[]): Plugin {
  const fields = new Set(mediaFields);
  return {
    onParams({ params, request, setResult }) {
      const declared = Number(request.headers.get('content-length') ?? 0);
      if (declared > maxBodyBytes && !onlyRootFields(params.query, fields)) setResult({ errors: [tooLarge(maxBodyBytes)] });
    },
  };
}
