// The outbound webhook as the alerts domain sees it, implemented by src/upstream/webhook-sender.ts.
export type { WebhookPort } from '../../upstream/webhook-sender.ts';
