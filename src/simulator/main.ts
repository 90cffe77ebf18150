// `npm run simulator`: the simulator alone, on SIMULATOR_PORT (default 8787). A standalone
// entry, so it reads process.env itself.
import { helpRequested } from '../platform/cli-help.ts';
import { startSimulator } from './server.ts';

const USAGE = `usage: npm run simulator
  Runs the Cloudflare unified AI API simulator alone (offline; see src/simulator/README.md).
  SIMULATOR_PORT (default 8787), SIMULATOR_HOST (default 127.0.0.1),
  SIMULATOR_TOKEN (a bearer token to require; default: any non-empty token),
  SIMULATOR_GATEWAYS (comma-separated gateway ids it knows).
  Point Switchboard at it with CLOUDFLARE_API_BASE_URL (printed on start).`;
if (helpRequested(process.argv.slice(2), USAGE)) process.exit(0);

const port = Number(process.env.SIMULATOR_PORT ?? 8787);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error('SIMULATOR_PORT must be a port number');
  process.exit(1);
}
const token = process.env.SIMULATOR_TOKEN?.trim() || undefined;
const gateways = (process.env.SIMULATOR_GATEWAYS ?? '')
  .split(',')
  .map((g) => g.trim())
  .filter(Boolean);

const sim = await startSimulator({ port, host: process.env.SIMULATOR_HOST ?? '127.0.0.1', token, gateways: gateways.length ? gateways : undefined });
console.log(`Cloudflare unified AI API simulator listening: CLOUDFLARE_API_BASE_URL=${sim.baseUrl}`);
console.log(token ? 'Requires the bearer token from SIMULATOR_TOKEN.' : 'Accepts any non-empty bearer token.');

const stop = (): void => {
  void sim.close().then(() => process.exit(0));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
