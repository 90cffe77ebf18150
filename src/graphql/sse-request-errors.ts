// graphql-sse (/graphql/stream) answers a query that does not parse or validate with BAD_INPUT,
// like HTTP and graphql-ws. The yoga plugin parses and validates inside graphql-sse's
// onSubscribe, where a thrown syntax error became a 500 and returned validation errors a 400
// "Unable to detect operation AST" without a code. Here parse never throws (a query that does not
// parse yields a stand-in document, `{ __typename }`) and validation errors are kept aside: the
// operation's execution then answers them as an ordinary result ({ data: null, errors }), which
// graphql-sse delivers on either mode.
import { GraphQLError, parse, type DocumentNode } from 'graphql';
import { useGraphQLSSE, type GraphQLSSEPluginOptions } from '@graphql-yoga/plugin-graphql-sse';
import type { Plugin, YogaInitialContext } from 'graphql-yoga';
import { badInputError } from './errors.ts';

type Yoga = Parameters<NonNullable<Plugin['onYogaInit']>>[0]['yoga'];
type Enveloped = ReturnType<Yoga['getEnveloped']>;

/** What validation reports, a thrown GraphQLError included. */
export function rejected(validate: () => readonly GraphQLError[]): readonly GraphQLError[] {
  try {
    return validate();
  } catch (error) {
    if (error instanceof Error && error.name === 'GraphQLError') return [error as GraphQLError];
    throw error;
  }
}

export function graphqlSsePlugin(options: GraphQLSSEPluginOptions): Plugin<YogaInitialContext> {
  const plugin = useGraphQLSSE(options);
  /** Documents (yoga caches them by text, so the same object each time) and their request errors. */
  const problems = new WeakMap<DocumentNode, readonly GraphQLError[]>();
  const answer = (document: DocumentNode) => ({ data: null, errors: problems.get(document)! });
  return {
    ...plugin,
    onYogaInit({ yoga }) {
      const wrapped = (context: Parameters<Yoga['getEnveloped']>[0]): Enveloped => {
        const enveloped = yoga.getEnveloped(context);
        return {
          ...enveloped,
          parse: (source: string) => {
            try {
              return enveloped.parse(source);
            } catch (error) {
              const document = parse('{ __typename }');
              const syntax = error instanceof Error && error.name === 'GraphQLError' ? (error as GraphQLError) : new GraphQLError('Syntax Error: the query could not be parsed');
              problems.set(document, [badInputError(syntax, false, { socket: true })]);
              return document;
            }
          },
          validate: (schema, document, ...rest) => {
            if (!problems.has(document)) {
              // (an operation limit rejects by throwing its GraphQLError)
              const errors = rejected(() => enveloped.validate(schema, document, ...rest));
              if (errors.length > 0) problems.set(document, errors.map((e: GraphQLError) => badInputError(e, false, { socket: true })));
            }
            return [];
          },
          execute: (args) => (problems.has(args.document) ? answer(args.document) : enveloped.execute(args)),
          subscribe: (args) => (problems.has(args.document) ? answer(args.document) : enveloped.subscribe(args)),
        } as Enveloped;
      };
      const getEnveloped = Object.assign(wrapped, { _plugins: yoga.getEnveloped._plugins }) as Yoga['getEnveloped'];
      const proxied: Yoga = Object.assign(Object.create(yoga) as Yoga, { getEnveloped });
      return plugin.onYogaInit?.({ yoga: proxied });
    },
  };
}
