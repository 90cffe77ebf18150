// Validation over a socket transport (graphql-ws, graphql-sse): an operation limit rejects by
// throwing its GraphQLError, the rules return theirs; both are request errors (BAD_INPUT).
import type { GraphQLError } from 'graphql';


/** What validation reports, a thrown GraphQLError included. */
export function rejected(validate: () => readonly GraphQLError[]): readonly GraphQLError[] {
  try {
    return validate();
  } catch (error) {
    if (error instanceof Error && error.name === 'GraphQLError') return [error as GraphQLError];
    throw error;
  }
}
