// Keep-the-wire streams: the SSE parser hands each event's bytes as received, however the bytes
// were split across reads (line endings split between chunks, comments, multi-line data), so a
// drop-in stream is the upstream's byte for byte.
import { describe, expect, it } from 'vitest';
import { SseParser } from '../../src/upstream/sse.ts';

const STREAM = ': keep-alive\r\n\r\nevent: message_start\r\ndata: {"type":"message_start"}\r\n\r\ndata: line one\ndata: line two\n\nid: 7\rdata: {"x":"é"}\r\rdata: [DONE]\n\n';

function frames(chunks: Array<string | Uint8Array>): { raw: string[]; data: string[] } {
  const parser = new SseParser({ keepRaw: true });
  const events = [...chunks.flatMap((c) => parser.push(c)), ...parser.end()];
  return { raw: events.map((e) => e.raw!), data: events.map((e) => e.data) };
}

describe('SseParser keepRaw', () => {
  it('the events concatenate back to the bytes received, at every split point', () => {
    const whole = frames([STREAM]);
    expect(whole.raw.join('')).toBe(STREAM);
    expect(whole.data).toEqual(['{"type":"message_start"}', 'line one\nline two', '{"x":"é"}', '[DONE]']);
    const bytes = Buffer.from(STREAM, 'utf8');
    for (let at = 1; at < bytes.length; at++) {
      const split = frames([bytes.subarray(0, at), bytes.subarray(at)]);
      expect(split.raw.join(''), `split at byte ${at}`).toBe(STREAM);
      expect(split.data).toEqual(whole.data);
    }
  });

  it('a last event without its blank line keeps its bytes; without keepRaw there is no raw', () => {
    expect(frames(['data: tail']).raw).toEqual(['data: tail']);
    const plain = new SseParser();
    expect(plain.push('data: x\n\n')[0]).toEqual({ data: 'x' });
  });
});
