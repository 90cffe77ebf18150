// Incremental Server-Sent Events parser (WHATWG rules): keeps the partial tail between chunks,
// accepts \n, \r\n and \r line endings (also split across chunks), multi-line data, comments,
// `event:` and `id:` fields. Bytes are decoded with a streaming UTF-8 decoder, so a chunk may
// end in the middle of a character.

export interface SseEvent {
  /** The `event:` name; undefined for the default "message" event. */
  event?: string;
  data: string;
  id?: string;
  /** The event's bytes as received, comment lines before it included (parsers built with `keepRaw`). */
  raw?: string;
}

export class SseParser {
  #buffer = '';
  #data: string[] = [];
  #event: string | undefined;
  #id: string | undefined;
  #started = false;
  /** The last chunk ended with \r: a \n starting the next one belongs to it. */
  #skipLf = false;
  readonly #decoder = new TextDecoder('utf-8');
  /** The text of the lines read since the last dispatched event, when raw text is kept. */
  #raw: string | undefined;

  /** keepRaw: each event also carries its text exactly as received (`raw`). */
  constructor(options: { keepRaw?: boolean } = {}) {
    if (options.keepRaw) this.#raw = '';
  }

  /** Feeds bytes (or already decoded text); returns the events completed by them. */
  push(chunk: Uint8Array | string): SseEvent[] {
    const text = typeof chunk === 'string' ? chunk : this.#decoder.decode(chunk, { stream: true });
    return this.#consume(text, false);
  }

  /** End of input: flushes the tail. A last event without its blank line is still delivered. */
  end(): SseEvent[] {
    const out = this.#consume(this.#decoder.decode(), true);
    if (this.#buffer !== '') {
      if (this.#raw !== undefined) this.#raw += this.#buffer;
      this.#line(this.#buffer, out);
      this.#buffer = '';
    }
    this.#dispatch(out);
    return out;
  }

  #consume(text: string, final: boolean): SseEvent[] {
    let buf = this.#buffer + text;
    if (this.#skipLf && buf.length > 0) {
      this.#skipLf = false;
      if (buf[0] === '\n') {
        buf = buf.slice(1);
        if (this.#raw !== undefined) this.#raw += '\n';
      }
    }
    if (!this.#started && buf.length > 0) {
      this.#started = true;
      if (buf.charCodeAt(0) === 0xfeff) buf = buf.slice(1);
    }
    const out: SseEvent[] = [];
    let start = 0;
    const eol = /[\r\n]/g;
    for (;;) {
      eol.lastIndex = start;
      const match = eol.exec(buf);
      if (!match) break;
      const i = match.index;
      let next = i + 1;
      if (buf[i] === '\r') {
        if (i + 1 === buf.length) this.#skipLf = true; // a \n may follow in the next chunk
        else if (buf[i + 1] === '\n') next = i + 2;
      }
      if (this.#raw !== undefined) this.#raw += buf.slice(start, next);
      this.#line(buf.slice(start, i), out);
      start = next;
    }
    this.#buffer = buf.slice(start);
    return out;
  }

  #line(line: string, out: SseEvent[]): void {
    if (line === '') {
      this.#dispatch(out);
      return;
    }
    if (line.startsWith(':')) return; // comment
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.#data.push(value);
    else if (field === 'event') this.#event = value;
    else if (field === 'id') this.#id = value;
  }

  #dispatch(out: SseEvent[]): void {
    if (this.#data.length > 0) {
      const event: SseEvent = { data: this.#data.join('\n') };
      if (this.#event !== undefined && this.#event !== '') event.event = this.#event;
      if (this.#id !== undefined) event.id = this.#id;
      if (this.#raw !== undefined) {
        event.raw = this.#raw;
        this.#raw = '';
      }
      out.push(event);
    }
    this.#data = [];
    this.#event = undefined;
  }
}

/** Parses a whole SSE text at once (tests, simulator checks). */
export function parseSse(text: string): SseEvent[] {
  const parser = new SseParser();
  return [...parser.push(text), ...parser.end()];
}
