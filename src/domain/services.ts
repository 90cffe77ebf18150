// The domain services as the adapters see them: built once in src/app.ts.
import type { AccessService } from './access/access-service.ts';
import type { ApiKeyLimits } from './access/api-key-limits.ts';
import type { BalanceService } from './limits/balance-service.ts';
import type { TeamService } from './teams/team-service.ts';
import type { ChatService } from './chat/chat-service.ts';
import type { GenerationService } from './generation/generation-service.ts';
import type { UserLimitsAdmin } from './admin/user-limits.ts';
import type { GatewayService } from './gateways/gateway-service.ts';
import type { PricingService } from './usage/pricing-service.ts';
import type { UsageReports } from './usage/usage-report.ts';

export interface Services {
  access: AccessService;
  generation: GenerationService;
  chat: ChatService;
  gateways: GatewayService;
  pricing: PricingService;
  usage: UsageReports;
  userLimits: UserLimitsAdmin;
  // teams (issue 14): teams, key limits, the balance
  teams: TeamService;
  apiKeyLimits: ApiKeyLimits;
  balance: BalanceService;
}
