// The domain services as the adapters see them: built once in src/app.ts.
import type { AccessService } from './access/access-service.ts';

export interface Services {
  access: AccessService;
}
