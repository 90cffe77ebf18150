// Starts a simulator for a test and builds an UpstreamClient pointing at it.
import { createUpstreamClient, type UpstreamConfig } from '../../src/upstream/client.ts';
import type { UpstreamClient, UpstreamRequest } from '../../src/upstream/call-vocabulary.ts';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../src/simulator/server.ts';

export const TEST_ACCOUNT = 'acc-test-123';
export const TEST_TOKEN = 'sim-token-abcdef';

export interface SimulatorHarness {
  sim: Simulator;
  client: UpstreamClient;
  config: UpstreamConfig;
  /** A new client with other settings against the same simulator (closed by close()). */
  makeClient(overrides?: Partial<UpstreamConfig>): UpstreamClient;
  close(): Promise<void>;
}

export async function startSimulatorHarness(
  options: SimulatorOptions = {},
  overrides: Partial<UpstreamConfig> = {},
): Promise<SimulatorHarness> {
  const sim = await startSimulator(options);
  const clients: UpstreamClient[] = [];
  const base: UpstreamConfig = {
    baseUrl: sim.baseUrl,
    accountId: TEST_ACCOUNT,
    apiToken: options.token ?? TEST_TOKEN,
    timeoutMs: 5_000,
    connectTimeoutMs: 1_000,
    maxRetries: 2,
    maxConnections: 16,
    retryBaseDelayMs: 5,
    retryMaxDelayMs: 200,
    ...overrides,
  };
  const makeClient = (more: Partial<UpstreamConfig> = {}): UpstreamClient => {
    const client = createUpstreamClient({ ...base, ...more });
    clients.push(client);
    return client;
  };
  const client = makeClient();
  return {
    sim,
    client,
    config: base,
    makeClient,
    async close() {
      await Promise.all(clients.map((c) => c.close()));
      await sim.close();
    },
  };
}

let seq = 0;
/** A valid normalized request with sensible defaults. */
export function upstreamRequest(overrides: Partial<UpstreamRequest> = {}): UpstreamRequest {
  seq += 1;
  return {
    model: 'openai/gpt-5.5',
    messages: [{ role: 'user', content: 'hello there simulator' }],
    gatewayId: 'default',
    eventId: `evt-${seq}`,
    ...overrides,
  };
}
