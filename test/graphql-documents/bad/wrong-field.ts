// A typed document with a field the schema does not have: the type check must fail.
import { graphql } from '../src/graphql.js';

export const Broken = graphql(`
  query Broken {
    me { id email favouriteColour }
  }
`);
