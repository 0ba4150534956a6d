/**
 * A Server-Sent Events parser (the WHATWG event-stream format): feed it
 * text chunks as they arrive, get back the complete events. Handles
 * `\n`, `\r\n` and `\r` line ends split anywhere across chunks, multi-line
 * `data:`, `: comment` keep-alives, and remembers the last `id:`.
 */

export interface SseEvent {
  /** `message` when the event had no `event:` line. */
  event: string;
  data: string;
  /** The last event id seen so far on this stream (ids persist across events). */
  id?: string;
}

export class SseParser {
  private buf = '';
  private event = '';
  private data: string[] = [];
  private sawData = false;
  /** Persists across events, as EventSource's lastEventId does. */
  lastEventId: string | undefined;
  private first = true;
  /** A `\r` ended the previous chunk: a `\n` starting the next belongs to it. */
  private pendingCR = false;

  push(chunk: string): SseEvent[] {
    if (this.first && chunk.length > 0) {
      if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
      this.first = false;
    }
    if (this.pendingCR && chunk.startsWith('\n')) chunk = chunk.slice(1);
    this.pendingCR = false;
    this.buf += chunk;
    const out: SseEvent[] = [];
    let start = 0;
    for (let i = 0; i < this.buf.length; i++) {
      const c = this.buf[i];
      if (c !== '\n' && c !== '\r') continue;
      const line = this.buf.slice(start, i);
      if (c === '\r') {
        if (i + 1 < this.buf.length) {
          if (this.buf[i + 1] === '\n') i++;
        } else {
          this.pendingCR = true;
        }
      }
      start = i + 1;
      const ev = this.line(line);
      if (ev) out.push(ev);
    }
    this.buf = this.buf.slice(start);
    return out;
  }

  private line(line: string): SseEvent | undefined {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'event':
        this.event = value;
        break;
      case 'data':
        this.data.push(value);
        this.sawData = true;
        break;
      case 'id':
        if (!value.includes('\0')) this.lastEventId = value;
        break;
      default:
        // `retry:` and unknown fields: ignored
        break;
    }
    return undefined;
  }

  private dispatch(): SseEvent | undefined {
    const ev: SseEvent | undefined = this.sawData
      ? { event: this.event || 'message', data: this.data.join('\n'), id: this.lastEventId }
      : undefined;
    this.event = '';
    this.data = [];
    this.sawData = false;
    return ev;
  }
}
