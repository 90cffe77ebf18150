// The domain services as the adapters see them: built once in src/app.ts.
import type { AccessService } from './access/access-service.ts';
import type { ApiKeyLimits } from './access/api-key-limits.ts';
import type { LiveStreams } from './access/live-streams.ts';
import type { BalanceService } from './limits/balance-service.ts';
import type { TeamService } from './teams/team-service.ts';
import type { ChatService } from './chat/chat-service.ts';
import type { MessagePages } from './chat/message-pages.ts';
import type { GenerationService } from './generation/generation-service.ts';
import type { ModalityService } from './modalities/modality-service.ts';
import type { UserLimitsAdmin } from './admin/user-limits.ts';
import type { GatewayService } from './gateways/gateway-service.ts';
import type { PricingService } from './pricing/pricing-service.ts';
import type { UsageReports } from './reports/usage-report.ts';
import type { ConversationCosts } from './reports/conversation-costs.ts';
import type { ModelPerformanceService } from './reports/model-performance.ts';
import type { RecentCalls } from './reports/recent-calls.ts';
import type { ReconciliationService } from './reconciliation/reconciliation-service.ts';
import type { AuditLog } from './audit/audit-log.ts';
import type { BudgetAlerts } from './alerts/budget-alerts.ts';
import type { BudgetEventFeed } from './alerts/event-feed.ts';
import type { Retention } from './retention/retention-service.ts';
import type { UserDirectory } from './access/user-directory.ts';

export interface Services {
  access: AccessService;
  generation: GenerationService;
  chat: ChatService;
  /** embed, generateImage, transcribe, speak: the other modalities of the universal endpoint. */
  modalities: ModalityService;
  /** Batched, paged messages of many conversations (GraphQL's Conversation.messages). */
  messagePages: MessagePages;
  gateways: GatewayService;
  pricing: PricingService;
  usage: UsageReports;
  userLimits: UserLimitsAdmin;
  // dashboard reads
  recentCalls: RecentCalls;
  modelPerformance: ModelPerformanceService;
  conversationCosts: ConversationCosts;
  reconciliation: ReconciliationService;
  // teams: teams, key limits, the balance
  teams: TeamService;
  apiKeyLimits: ApiKeyLimits;
  balance: BalanceService;
  // operators' controls: the audit log, budget alerts, retention and a user's data
  auditLog: AuditLog;
  budgetAlerts: BudgetAlerts;
  budgetEvents: BudgetEventFeed;
  retention: Retention;
  /** Users by email or id (the CLIs' --user). */
  users: UserDirectory;
  /** Streams in flight by key: a revoked or rotated key's streams end at once (every SSE transport). */
  liveStreams: LiveStreams;
}
