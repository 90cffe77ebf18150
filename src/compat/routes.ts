// The drop-in routes the server answers under /v1/ (contract: "Drop-in surfaces"). A route is one file.
import { messagesRoute } from './anthropic-messages.ts';
import { modelsRoute } from './models.ts';
import { embeddingsRoute } from './openai-embeddings.ts';
import { chatCompletionsRoute } from './openai-chat.ts';
import { responsesRoute } from './openai-responses.ts';
import type { CompatRoute } from './route.ts';

export const COMPAT_ROUTES: readonly CompatRoute[] = [chatCompletionsRoute, responsesRoute, embeddingsRoute, modelsRoute, messagesRoute];
