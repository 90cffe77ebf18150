// The whole GraphQL schema: each feature module adds its types and fields to the builder.
import { builder } from '../builder.ts';
import './access.ts';
import './generation.ts';
import './modalities.ts';
import './chat.ts';
import './gateways.ts';
import './models.ts';
import './usage.ts';
import './admin-limits.ts';
import './dashboard.ts';
import './reconciliation.ts';
import './limits.ts';
import './teams.ts';
import './balance.ts';
import './operators.ts';

export const schema = builder.toSchema({ sortSchema: false });

/** Root field names (queries, mutations, subscriptions): the only operation labels metrics use. */
export function graphqlOperationNames(): string[] {
  return [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()].flatMap((type) => (type ? Object.keys(type.getFields()) : []));
}
