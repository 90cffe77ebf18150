// The outbound webhook as the alerts domain sees it (src/upstream/webhook-sender.ts implements it).
export interface WebhookPort {
  /**
   * Throws BAD_INPUT (field webhookUrl) unless the URL is http(s), its host is allow-listed and
   * every address it resolves to is public (or the loopback/private address itself is listed).
   */
  check(url: string): Promise<void>;
  /** POSTs the body; resolves to the HTTP status. Rejects on a network failure or a refused address. */
  post(url: string, body: string, headers: Record<string, string>): Promise<number>;
  close(): Promise<void>;
}
