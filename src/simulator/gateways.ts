// The simulated account's gateways: a configured list; "default" is auto-created on first use.
export interface SimGateway {
  id: string;
  created_at: string;
  modified_at: string;
  cache_ttl: number | null;
  cache_invalidate_on_update: boolean;
  collect_logs: boolean;
  authentication: boolean;
  rate_limiting_interval: number | null;
  rate_limiting_limit: number | null;
  rate_limiting_technique: 'fixed' | 'sliding';
  is_default: boolean;
}

export const DEFAULT_GATEWAY = 'default';

function makeGateway(id: string): SimGateway {
  const now = new Date().toISOString();
  return {
    id,
    created_at: now,
    modified_at: now,
    cache_ttl: 0,
    cache_invalidate_on_update: false,
    collect_logs: true,
    authentication: id === DEFAULT_GATEWAY,
    rate_limiting_interval: null,
    rate_limiting_limit: null,
    rate_limiting_technique: 'fixed',
    is_default: id === DEFAULT_GATEWAY,
  };
}

export class GatewayRegistry {
  readonly #configured: string[];
  #gateways = new Map<string, SimGateway>();

  constructor(ids: readonly string[]) {
    this.#configured = [...new Set(ids)];
    this.reset();
  }

  reset(): void {
    this.#gateways = new Map(this.#configured.map((id) => [id, makeGateway(id)]));
  }

  /** The gateway a request names; "default" is created when missing; unknown ids give undefined. */
  resolve(id: string): SimGateway | undefined {
    const found = this.#gateways.get(id);
    if (found) return found;
    if (id !== DEFAULT_GATEWAY) return undefined;
    const created = makeGateway(id);
    this.#gateways.set(id, created);
    return created;
  }

  list(): SimGateway[] {
    return [...this.#gateways.values()];
  }
}
