// A body limit for GraphQL POSTs that arrive without a Content-Length (chunked): yoga would
// read any size into memory. The server refuses a declared oversize body before yoga; this
// reads a JSON body through a counting reader and stops at the limit.
import { GraphQLError } from 'graphql';
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

export function bodyLimitPlugin(maxBytes: number): Plugin {
  return {
    onRequestParse({ request, setRequestParser }) {
      if (request.method !== 'POST' || request.headers.has('content-length')) return;
      if (!request.headers.get('content-type')?.includes('json')) return;
      setRequestParser(async (req) => {
        const text = await readLimited(req, maxBytes);
        try {
          return JSON.parse(text) as GraphQLParams | GraphQLParams[];
        } catch {
          throw new GraphQLError('POST body sent invalid JSON.', { extensions: { code: 'BAD_INPUT', field: 'body', http: { status: 400 } } });
        }
      });
    },
  };
}
