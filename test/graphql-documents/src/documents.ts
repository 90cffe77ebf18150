// Documents a frontend would write; their result and variable types come from schema.graphql.
import { graphql, type ResultOf, type VariablesOf } from './graphql.js';

export const ChatMutation = graphql(`
  mutation Chat($input: ChatInput!) {
    chat(input: $input) {
      conversation { id title }
      assistantMessage { content role status }
      generation { id usage { totalTokens costUsd } }
    }
  }
`);

export const ConversationsQuery = graphql(`
  query Conversations($first: Int, $after: String) {
    conversations(first: $first, after: $after) {
      edges { cursor node { id title updatedAt } }
      pageInfo { hasNextPage endCursor }
    }
  }
`);

export const GenerateStream = graphql(`
  subscription GenerateStream($input: GenerateInput!) {
    generateStream(input: $input) {
      __typename
      ... on TextDelta { text }
      ... on GenerationCompleted { generation { id usage { totalTokens } } }
    }
  }
`);

// The types are real: these assignments fail to compile if the schema and documents disagree.
export const GenerateMutation = graphql(`
  mutation Generate($input: GenerateInput!) {
    generate(input: $input) { id text usage { inputTokens outputTokens } }
  }
`);

export const chatVariables: VariablesOf<typeof ChatMutation> = { input: { model: 'openai/gpt-5.5', message: 'Hello!' } };
// ChatRole is an enum: 'USER' compiles, 'user' would not.
export const generateVariables: VariablesOf<typeof GenerateMutation> = { input: { model: 'openai/gpt-5.5', messages: [{ role: 'USER', content: 'hi' }] } };
type Turn = ResultOf<typeof ChatMutation>['chat'];
export const role: Turn['assistantMessage']['role'] = 'ASSISTANT';
export const cost: Turn['generation']['usage']['costUsd'] = null;
type Edge = ResultOf<typeof ConversationsQuery>['conversations']['edges'][number];
export const cursor: Edge['cursor'] = 'c';
