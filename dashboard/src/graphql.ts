// The page's only way to the server: typed GraphQL documents (gql.tada, checked against
// schema.graphql at build time) posted to /graphql with the signed-in key as a Bearer token.
import { print } from '@0no-co/graphql.web';
import { initGraphQLTada, type TadaDocumentNode } from 'gql.tada';
import type { introspection } from './graphql-env.d.ts';

export const graphql = initGraphQLTada<{
  introspection: introspection;
  scalars: { DateTime: string; JSON: unknown; ChatRole: string };
}>();

/** A GraphQL error with its stable code (extensions.code). */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

interface GraphQLBody<T> {
  data?: T | null;
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
}

async function post<T>(query: string, operationName: string | undefined, variables: unknown, apiKey: string): Promise<T> {
  let res: Response;
  try {
    // ?op= names the operation in the URL too, so the browser's network log and resource timings
    // (the benchmark reads them) tell the requests apart; the server reads only the body.
    res = await fetch(operationName ? `/graphql?op=${encodeURIComponent(operationName)}` : '/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${apiKey}` },
      body: JSON.stringify({ query, operationName, variables }),
    });
  } catch {
    throw new ApiError('The server cannot be reached.', 'NETWORK');
  }
  const body = (await res.json().catch(() => ({}))) as GraphQLBody<T>;
  const error = body.errors?.[0];
  if (error) throw new ApiError(error.message, error.extensions?.code ?? 'INTERNAL');
  if (!body.data) throw new ApiError(`The server answered ${res.status}.`, 'INTERNAL');
  return body.data;
}

/** Each document's text and operation name, printed once (the documents are constants). */
const printed = new WeakMap<object, { query: string; operationName: string | undefined }>();

/** Runs a typed document. */
export function request<Result, Variables>(document: TadaDocumentNode<Result, Variables>, variables: Variables, apiKey: string): Promise<Result> {
  let text = printed.get(document);
  if (!text) {
    const operation = document.definitions.find((d) => d.kind === 'OperationDefinition');
    text = { query: print(document), operationName: operation?.name?.value };
    printed.set(document, text);
  }
  return post<Result>(text.query, text.operationName, variables, apiKey);
}
