// Deltas that arrive together are merged after the first (api-contract.md, "v2 additions"):
// the batcher on its own, and end to end against the simulator, in a burst and spread out.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { UpstreamEvent, UpstreamRequest } from '../../src/upstream/call-vocabulary.ts';
import { DeltaBatcher } from '../../src/upstream/delta-batching.ts';
import { startSimulatorHarness, type SimulatorHarness, upstreamRequest } from '../helpers/simulator.ts';

const delta = (text: string): UpstreamEvent => ({ type: 'delta', text });

describe('DeltaBatcher', () => {
  it('sends the first text delta alone, then merges each run of adjacent deltas in a read', () => {
    const b = new DeltaBatcher();
    expect(b.batch([delta('a'), delta('b'), delta('c')])).toEqual([delta('a'), delta('bc')]);
    expect(b.batch([delta('d')])).toEqual([delta('d')]);
    expect(b.batch([delta('e'), delta('f'), { type: 'reasoningDelta', text: 'r' }, delta('g'), delta('h')])).toEqual([
      delta('ef'),
      { type: 'reasoningDelta', text: 'r' },
      delta('gh'),
    ]);
    expect(b.batch([])).toEqual([]);
  });

  it('keeps other events in place and waits for a text delta before counting one as first', () => {
    const b = new DeltaBatcher();
    const usage: UpstreamEvent = { type: 'usage', usage: { inputTokens: 1, outputTokens: 0, cachedInputTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, totalTokens: 1 } };
    const tool: UpstreamEvent = { type: 'toolCallDelta', index: 0, argumentsDelta: '{' };
    expect(b.batch([usage, tool, tool])).toEqual([usage, tool, tool]);
    expect(b.batch([delta('x'), delta('y'), { type: 'done', finishReason: 'stop' }])).toEqual([delta('x'), delta('y'), { type: 'done', finishReason: 'stop' }]);
  });
});

describe('merging against the simulator', () => {
  let h: SimulatorHarness;
  beforeAll(async () => {
    h = await startSimulatorHarness();
  });
  afterEach(() => h.sim.reset());
  afterAll(() => h.close());
  const deltasOf = async (req: UpstreamRequest) => {
    const texts: string[] = [];
    for await (const e of await h.client.stream(req)) if (e.type === 'delta') texts.push(e.text);
    return texts;
  };
  const words = 'one two three four five six seven eight nine ten eleven twelve';

  it('a burst: fewer deltas than chunks, the first alone, the text intact', async () => {
    const deltas = await deltasOf(upstreamRequest({ messages: [{ role: 'user', content: words }] }));
    expect(deltas.join('')).toBe(`Echo: ${words}`);
    expect(deltas[0]).toBe('Echo:');
    // 13 chunks written back to back arrive in far fewer reads
    expect(deltas.length).toBeLessThan(13);
  });

  it('spread out (a chunk every 40 ms): one delta per chunk, as sent', async () => {
    h.sim.injectFault({ type: 'slow_stream', ms: 40 });
    const deltas = await deltasOf(upstreamRequest({ messages: [{ role: 'user', content: 'one two three four' }] }));
    expect(deltas).toEqual(['Echo:', ' one', ' two', ' three', ' four']);
  });
});
