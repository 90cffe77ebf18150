// The domain services as the adapters see them: built once in src/app.ts.
import type { AccessService } from './access/access-service.ts';
import type { ChatService } from './chat/chat-service.ts';
import type { GenerationService } from './generation/generation-service.ts';

export interface Services {
  access: AccessService;
  generation: GenerationService;
  chat: ChatService;
}
