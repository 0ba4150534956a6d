/**
 * A followed log arrives in chunks cut anywhere, even inside a character:
 * this turns them into whole lines (pure). The line still being written is
 * kept until its newline comes, or until the stream ends.
 */
/** Lines of a followed log kept in the page; older ones are dropped. */
export const MAX_LINES = 2000;

export class LineSplitter {
  private readonly decoder = new TextDecoder();
  private rest = '';

  /** The whole lines this chunk completes. */
  push(chunk: Uint8Array): string[] {
    const text = this.rest + this.decoder.decode(chunk, { stream: true });
    const lines = text.split('\n');
    this.rest = lines.pop()!;
    return lines.map(trimCr);
  }

  /** At the end of the stream: the last line, if it had no newline. */
  end(): string[] {
    const last = this.rest + this.decoder.decode();
    this.rest = '';
    return last ? [trimCr(last)] : [];
  }
}

const trimCr = (l: string): string => (l.endsWith('\r') ? l.slice(0, -1) : l);
