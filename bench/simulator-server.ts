// The upstream for the bench: the built-in simulator with zero delay, in its own process.
// Its recorded-request log is cleared every second so a long soak does not grow it.
import { startSimulator } from '../src/simulator/server.ts';
import { announce, onStop } from './lib/announce.ts';

const sim = await startSimulator({ chunkDelayMs: 0 });
const trim = setInterval(() => {
  sim.requests.length = 0;
}, 1_000);
announce({ baseUrl: sim.baseUrl });
onStop(async () => {
  clearInterval(trim);
  await sim.close();
});
