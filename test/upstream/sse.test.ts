import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseSse, SseParser, type SseEvent } from '../../src/upstream/sse.ts';

function feed(chunks: Uint8Array[]): SseEvent[] {
  const parser = new SseParser();
  const out: SseEvent[] = [];
  for (const c of chunks) out.push(...parser.push(c));
  out.push(...parser.end());
  return out;
}

function splitAt(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let prev = 0;
  for (const p of points) {
    chunks.push(bytes.subarray(prev, p));
    prev = p;
  }
  chunks.push(bytes.subarray(prev));
  return chunks;
}

describe('SseParser', () => {
  it('parses data, event names, ids, comments and multi-line data', () => {
    const text = ': comment\nevent: ping\ndata: {"a":1}\n\ndata: line1\ndata: line2\nid: 7\n\ndata:nospace\n\n';
    expect(parseSse(text)).toEqual([
      { event: 'ping', data: '{"a":1}' },
      { data: 'line1\nline2', id: '7' },
      { data: 'nospace', id: '7' },
    ]);
  });

  it('accepts \\r\\n and \\r line endings and a BOM', () => {
    expect(parseSse('\uFEFFdata: a\r\n\r\ndata: b\r\rdata: c\n\n')).toEqual([{ data: 'a' }, { data: 'b' }, { data: 'c' }]);
  });

  it('keeps a partial tail and a \\r split from its \\n', () => {
    const p = new SseParser();
    expect(p.push('data: hel')).toEqual([]);
    expect(p.push('lo\r')).toEqual([]);
    expect(p.push('\n\r')).toEqual([{ data: 'hello' }]);
    expect(p.push('\ndata: x\n\n')).toEqual([{ data: 'x' }]);
  });

  it('delivers a last event without its blank line at the end, and skips events without data', () => {
    expect(parseSse('event: only\n\ndata: [DONE]')).toEqual([{ data: '[DONE]' }]);
  });

  it('gives the same events for any split of the bytes into chunks (property)', () => {
    const line = fc.string({ unit: fc.constantFrom('a', 'b', ' ', ':', '{', '"', 'é', '字', '😀', 'data', 'event') });
    const frame = fc.record({
      event: fc.option(fc.constantFrom('message_start', 'response.output_text.delta', 'ping'), { nil: undefined }),
      data: fc.array(line, { minLength: 1, maxLength: 3 }),
      comment: fc.boolean(),
    });
    const eol = fc.constantFrom('\n', '\r\n', '\r');
    fc.assert(
      fc.property(fc.array(frame, { maxLength: 6 }), eol, fc.array(fc.nat(), { maxLength: 12 }), (frames, nl, cuts) => {
        const text = frames
          .map((f) => `${f.comment ? `: keep-alive${nl}` : ''}${f.event ? `event: ${f.event}${nl}` : ''}${f.data.map((d) => `data: ${d}`).join(nl)}${nl}${nl}`)
          .join('');
        const bytes = new TextEncoder().encode(text);
        const whole = feed([bytes]);
        expect(whole).toEqual(frames.map((f) => (f.event ? { event: f.event, data: f.data.join('\n') } : { data: f.data.join('\n') })));
        expect(feed(splitAt(bytes, cuts))).toEqual(whole);
        expect(feed([...bytes].map((b) => Uint8Array.of(b)))).toEqual(whole);
      }),
      { numRuns: 300 },
    );
  });
});
