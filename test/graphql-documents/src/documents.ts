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

// Every modality of the universal endpoint: typed like generate.
export const EmbedMutation = graphql(`
  mutation Embed($input: EmbedInput!) {
    embed(input: $input) { id model dimensions vectors base64Vectors usage { modality inputTokens costUsd } }
  }
`);
export const GenerateImageMutation = graphql(`
  mutation GenerateImage($input: GenerateImageInput!) {
    generateImage(input: $input) { id images { mediaType data } usage { modality images imageTiles imageSteps costUsd } }
  }
`);
export const TranscribeMutation = graphql(`
  mutation Transcribe($input: TranscribeInput!) {
    transcribe(input: $input) { id text language durationSeconds segments { start end text } usage { modality audioSeconds costUsd } }
  }
`);
export const SpeakMutation = graphql(`
  mutation Speak($input: SpeakInput!) {
    speak(input: $input) { id audio { mediaType data } usage { modality characters audioSeconds costUsd } }
  }
`);
export const embedVariables: VariablesOf<typeof EmbedMutation> = { input: { model: '@cf/baai/bge-m3', texts: ['a', 'b'], encoding: 'BASE64' } };
export const transcribeVariables: VariablesOf<typeof TranscribeMutation> = { input: { model: '@cf/openai/whisper-large-v3-turbo', audio: { url: 'https://example.com/a.wav' } } };
export const vector: NonNullable<ResultOf<typeof EmbedMutation>['embed']['vectors']>[number] = [0.5];
export const modality: ResultOf<typeof SpeakMutation>['speak']['usage']['modality'] = 'SPEECH';
export const segmentEnd: ResultOf<typeof TranscribeMutation>['transcribe']['segments'][number]['end'] = 1.5;
export const imageVariables: VariablesOf<typeof GenerateImageMutation> = { input: { model: '@cf/leonardo/lucid-origin', prompt: 'p', steps: 4 } };
export const speakVariables: VariablesOf<typeof SpeakMutation> = { input: { model: '@cf/deepgram/aura-2-en', text: 'hi', voice: 'luna' } };
