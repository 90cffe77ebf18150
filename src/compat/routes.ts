// The drop-in routes the server answers under /v1/ (contract: "Drop-in surfaces"). A route is one
// file; /v1/embeddings joins this list once the `embed` operation exists.
import { messagesRoute } from './anthropic-messages.ts';
import { modelsRoute } from './models.ts';
import { chatCompletionsRoute } from './openai-chat.ts';
import { responsesRoute } from './openai-responses.ts';
import type { CompatRoute } from './route.ts';

export const COMPAT_ROUTES: readonly CompatRoute[] = [chatCompletionsRoute, responsesRoute, modelsRoute, messagesRoute];
