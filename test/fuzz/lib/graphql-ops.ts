// GraphQL operations generated from the served schema (introspected, so every field added to the
// schema joins): each root field of Query, Mutation and Subscription with its arguments as
// variables (plausible or hostile values, by type and name) and a selection of its result's
// fields; plus hostile documents (syntax errors, deep nesting, many aliases, unknown fields).
import fc from 'fast-check';
import {
  buildClientSchema,
  getIntrospectionQuery,
  getNamedType,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  isUnionType,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLNamedType,
  type GraphQLSchema,
  type IntrospectionQuery,
} from 'graphql';
import { hostileValue, intFor, sometimesHostile, stringFor, type Pools } from './values.ts';

export interface GraphQLOp {
  kind: 'query' | 'mutation' | 'subscription';
  field: string;
  query: string;
  variables: Record<string, unknown>;
}

export async function introspect(url: string, key: string): Promise<GraphQLSchema> {
  const res = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: JSON.stringify({ query: getIntrospectionQuery() }) });
  const body = (await res.json()) as { data: IntrospectionQuery };
  return buildClientSchema(body.data);
}

function inputArb(type: GraphQLInputType, name: string, pools: Pools, depth: number, hostile: boolean): fc.Arbitrary<unknown> {
  if (isNonNullType(type)) return inputArb(type.ofType, name, pools, depth, hostile);
  if (isListType(type)) return fc.array(inputArb(type.ofType, name, pools, depth + 1, hostile), { maxLength: depth > 2 ? 1 : 3 });
  if (isEnumType(type)) return sometimesHostile(fc.constantFrom(...type.getValues().map((v) => v.name)), hostile);
  if (isInputObjectType(type)) {
    if (depth > 4) return fc.constant({});
    const fields = Object.values(type.getFields());
    const shape: Record<string, fc.Arbitrary<unknown>> = {};
    for (const f of fields) shape[f.name] = isNonNullType(f.type) ? inputArb(f.type, f.name, pools, depth + 1, hostile) : fc.option(inputArb(f.type, f.name, pools, depth + 1, hostile), { nil: undefined, freq: 2 });
    return sometimesHostile(fc.record(shape), hostile);
  }
  if (isScalarType(type)) {
    switch (type.name) {
      case 'Int':
        return sometimesHostile(intFor(name), hostile);
      case 'Float':
        return sometimesHostile(fc.double({ min: 0, max: 2, noNaN: true }), hostile);
      case 'Boolean':
        return sometimesHostile(fc.boolean(), hostile);
      case 'JSON':
      case 'JSONObject':
        return sometimesHostile(fc.dictionary(fc.constantFrom('team', 'env', 'n', ''), fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.boolean()), { maxKeys: 6 }), hostile);
      default:
        return sometimesHostile(stringFor(name, pools), hostile);
    }
  }
  return hostile ? hostileValue : fc.constant(null);
}

/** A selection of a type's fields without required arguments, two levels deep. */
function selection(type: GraphQLNamedType, depth: number): string {
  if (isScalarType(type) || isEnumType(type)) return '';
  if (isUnionType(type) || isInterfaceType(type)) {
    const possible = isUnionType(type) ? type.getTypes() : [];
    return `{ __typename ${possible.map((t) => `... on ${t.name} ${selection(t, depth + 1)}`).join(' ')} }`;
  }
  if (!isObjectType(type)) return '';
  const parts: string[] = ['__typename'];
  for (const f of Object.values(type.getFields())) {
    if (f.args.some((a) => isNonNullType(a.type))) continue;
    const named = getNamedType(f.type);
    if (isScalarType(named) || isEnumType(named)) parts.push(f.name);
    else if (depth < 2) {
      const sub = selection(named, depth + 1);
      if (sub) parts.push(`${f.name} ${sub}`);
    }
  }
  return `{ ${parts.join(' ')} }`;
}

function fieldOp(kind: GraphQLOp['kind'], field: GraphQLField<unknown, unknown>, pools: Pools, hostile: boolean): fc.Arbitrary<GraphQLOp> {
  const shape: Record<string, fc.Arbitrary<unknown>> = {};
  for (const a of field.args) shape[a.name] = isNonNullType(a.type) ? inputArb(a.type, a.name, pools, 0, hostile) : fc.option(inputArb(a.type, a.name, pools, 0, hostile), { nil: undefined });
  const decls = field.args.map((a) => `$${a.name}: ${String(a.type)}`).join(', ');
  const args = field.args.map((a) => `${a.name}: $${a.name}`).join(', ');
  const query = `${kind} Fuzz${decls ? `(${decls})` : ''} { ${field.name}${args ? `(${args})` : ''} ${selection(getNamedType(field.type), 0)} }`;
  return fc.record(shape).map((variables) => ({ kind, field: field.name, query, variables: JSON.parse(JSON.stringify(variables)) as Record<string, unknown> }));
}

/** Documents no valid client sends. */
function hostileDocument(fields: string[]): fc.Arbitrary<GraphQLOp> {
  const deep = (n: number): string => (n === 0 ? '__typename' : `me { __typename ... on User { ${deep(n - 1)} } }`);
  return fc
    .oneof(
      fc.constantFrom('{', 'query {', 'mutation { generate(input: {', '}}}}', 'subscription', '{ me { id ', 'query Q($a: ) { me { id } }', '\u0000', '{ me { id } } { me { id } }'),
      fc.integer({ min: 31, max: 120 }).map((n) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: __typename`).join(' ')} }`),
      fc.constant(`{ ${deep(40)} }`),
      fc.constantFrom(...fields).map((f) => `{ ${f}Typo { id } }`),
      fc.string({ maxLength: 60 }),
    )
    .map((query) => ({ kind: 'query' as const, field: '(hostile document)', query, variables: {} }));
}

export function graphqlOps(schema: GraphQLSchema, pools: Pools): fc.Arbitrary<GraphQLOp> {
  const roots: Array<[GraphQLOp['kind'], ReturnType<GraphQLSchema['getQueryType']>]> = [
    ['query', schema.getQueryType()],
    ['mutation', schema.getMutationType()],
    ['subscription', schema.getSubscriptionType()],
  ];
  const ops: Array<fc.Arbitrary<GraphQLOp>> = [];
  const names: string[] = [];
  for (const [kind, root] of roots) {
    for (const field of Object.values(root?.getFields() ?? {})) {
      ops.push(fieldOp(kind, field, pools, false), fieldOp(kind, field, pools, true));
      names.push(field.name);
    }
  }
  return fc.oneof({ arbitrary: fc.oneof(...ops), weight: 9 }, { arbitrary: hostileDocument(names), weight: 1 });
}
