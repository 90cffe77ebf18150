// GraphQL cost control, checked before execution (no resolver, no database query): token count at
// parse time, then depth, aliases and cost as validation rules (GraphQL Armor). A refusal is
// BAD_INPUT. In production introspection is refused unless GraphiQL is enabled.
import { costLimitPlugin } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesPlugin } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthPlugin } from '@escape.tech/graphql-armor-max-depth';
import { maxTokensPlugin } from '@escape.tech/graphql-armor-max-tokens';
import { GraphQLError, NoSchemaIntrospectionCustomRule } from 'graphql';
import { MAX_NESTING, textNesting, valueNesting } from '../domain/nesting.ts';
import type { Plugin } from 'graphql-yoga';

export interface OperationLimits {
  maxDepth: number;
  maxAliases: number;
  maxTokens: number;
  maxCost: number;
  /** false: introspection queries are refused (production without GRAPHIQL=true). */
  introspection: boolean;
}

/** Deep literals or variables: refused before the (recursive) parser and coercion run. */
function nestingPlugin(): Plugin {
  return {
    onParams({ params, setResult }) {
      const tooDeep = (params.query && textNesting(params.query) > MAX_NESTING) || valueNesting(params.variables) > MAX_NESTING;
      if (!tooDeep) return;
      setResult({ errors: [new GraphQLError(`The request nests deeper than ${MAX_NESTING} levels`, { extensions: { code: 'BAD_INPUT', field: 'query' } })] });
    },
  };
}

export function operationLimitPlugins(limits: OperationLimits): Plugin[] {
  const plugins: Plugin[] = [
    nestingPlugin(),
    maxTokensPlugin({ n: limits.maxTokens }) as Plugin,
    maxDepthPlugin({ n: limits.maxDepth, ignoreIntrospection: false, flattenFragments: true }) as Plugin,
    maxAliasesPlugin({ n: limits.maxAliases }) as Plugin,
    costLimitPlugin({ maxCost: limits.maxCost, ignoreIntrospection: true, flattenFragments: true }) as Plugin,
  ];
  if (!limits.introspection) {
    plugins.push({ onValidate: ({ addValidationRule }) => addValidationRule(NoSchemaIntrospectionCustomRule) });
  }
  return plugins;
}
