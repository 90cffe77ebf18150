// Names the request's trace span after the GraphQL operation (see src/platform/tracing.ts).
import type { Plugin } from 'graphql-yoga';
import { nameOperation } from '../platform/tracing.ts';

interface OperationArgs {
  operationName?: string | null;
  document: { definitions: ReadonlyArray<{ kind: string; operation?: string; name?: { value: string }; selectionSet?: { selections: ReadonlyArray<{ name?: { value: string } }> } }> };
}

function describe(args: OperationArgs): [string, string] {
  const op = args.document.definitions.find((d) => d.kind === 'OperationDefinition' && (!args.operationName || d.name?.value === args.operationName));
  return [op?.operation ?? 'query', args.operationName ?? op?.name?.value ?? op?.selectionSet?.selections[0]?.name?.value ?? 'anonymous'];
}

export function tracingPlugin(): Plugin {
  return {
    onExecute: ({ args }) => nameOperation(...describe(args as unknown as OperationArgs)),
    onSubscribe: ({ args }) => nameOperation(...describe(args as unknown as OperationArgs)),
  };
}
