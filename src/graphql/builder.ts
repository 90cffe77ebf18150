// The Pothos schema builder and the GraphQL context.
import SchemaBuilder from '@pothos/core';
import { GraphQLError, Kind, type ValueNode } from 'graphql';
import type { Principal } from '../domain/access/principal.ts';
import type { Services } from '../domain/services.ts';
import { AppError } from '../platform/errors.ts';
import type { MessageLoader } from './message-loader.ts';

export interface GraphQLContext {
  services: Services;
  /** The authenticated caller, or the reason there is none. */
  auth: { principal: Principal } | { error: AppError };
  /** The Idempotency-Key HTTP header, when sent. */
  idempotencyKey?: string;
  signal?: AbortSignal;
  /** graphql-http, graphql-sse or graphql-ws: recorded with each call. */
  transport: string;
  /** Conversation.messages, batched per request. */
  messageLoader: MessageLoader;
}

/** The caller, or UNAUTHENTICATED. Every resolver that needs a caller goes through here. */
export function principalOf(ctx: GraphQLContext): Principal {
  if ('error' in ctx.auth) throw ctx.auth.error;
  return ctx.auth.principal;
}

export const builder = new SchemaBuilder<{
  Context: GraphQLContext;
  DefaultFieldNullability: false;
  Scalars: {
    DateTime: { Input: string; Output: Date | string };
    JSON: { Input: unknown; Output: unknown };
  };
}>({ defaultFieldNullability: false });

builder.queryType({});
builder.mutationType({});
builder.subscriptionType({});

// A date input is checked once, by the input's zod schema (dateInput), as tRPC checks it: the
// scalar only requires a string, so a bad date is BAD_INPUT naming its field on both APIs.
builder.scalarType('DateTime', {
  description: 'An ISO-8601 date-time',
  serialize: (value) => (value instanceof Date ? value.toISOString() : new Date(value).toISOString()),
  parseValue: (value) => {
    if (typeof value !== 'string') throw new GraphQLError('DateTime must be an ISO-8601 string', { extensions: { code: 'BAD_INPUT' } });
    return value;
  },
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.STRING) throw new GraphQLError('DateTime must be an ISO-8601 string', { extensions: { code: 'BAD_INPUT' } });
    return ast.value;
  },
});

builder.scalarType('JSON', {
  description: 'Any JSON value',
  serialize: (value) => value,
  parseValue: (value) => value,
  parseLiteral: function literal(ast: ValueNode): unknown {
    switch (ast.kind) {
      case Kind.STRING:
      case Kind.BOOLEAN:
        return ast.value;
      case Kind.INT:
      case Kind.FLOAT:
        return Number(ast.value);
      case Kind.NULL:
        return null;
      case Kind.LIST:
        return ast.values.map(literal);
      case Kind.OBJECT:
        return Object.fromEntries(ast.fields.map((f) => [f.name.value, literal(f.value)]));
      default:
        throw new GraphQLError('Variables are not allowed inside JSON literals', { extensions: { code: 'BAD_INPUT' } });
    }
  },
});
