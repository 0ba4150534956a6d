/**
 * The tokens file, kept current without a restart: read once at start (an
 * error there stops the server), then re-read whenever it changes. fs.watch
 * on the file's directory sees edits and atomic replaces (rename over it) at
 * once; a poll of its stat catches what fs.watch misses (network file
 * systems, a watcher that died). A file that no longer parses keeps the last
 * good tokens and says why in the log — never a token or a hash.
 */
import { watch, type FSWatcher } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { errMsg, type Logger } from '../log/logger.js';
import { Authenticator } from './authenticate.js';
import { parseTokens, type TokenEntry } from './tokens.js';

export interface TokenFileOptions {
  /** How often the file's stat is polled (ms); default 2000. */
  pollMs?: number;
  /** Whether to use fs.watch as well as the poll (default true; tests turn it off to try the poll alone). */
  fsWatch?: boolean;
}

/** Reads and parses the file; the error names the file. */
export async function readTokens(path: string): Promise<TokenEntry[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new Error(`--tokens: cannot read ${path}: ${errMsg(e)}`);
  }
  try {
    return parseTokens(text);
  } catch (e) {
    throw new Error(`--tokens: ${path}: ${errMsg(e)}`);
  }
}

export class TokenFile {
  readonly auth: Authenticator;
  private text = '';
  /** The last text refused, so one bad edit is logged once. */
  private refused = '';
  private watcher: FSWatcher | undefined;
  private poll: NodeJS.Timeout | undefined;
  private lastStat = '';
  private reading: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  private constructor(
    readonly path: string,
    entries: TokenEntry[],
    private readonly log: Logger,
  ) {
    this.auth = new Authenticator(entries);
  }

  /** Reads the file (throws when it is missing or wrong) and starts following it. */
  static async open(path: string, log: Logger, o: TokenFileOptions = {}): Promise<TokenFile> {
    const abs = resolve(path);
    const entries = await readTokens(abs);
    const f = new TokenFile(abs, entries, log);
    f.text = await readFile(abs, 'utf8').catch(() => '');
    f.lastStat = await f.statKey();
    f.follow(o.pollMs ?? 2000, o.fsWatch ?? true);
    log.info('tokens loaded', { file: abs, tokens: entries.length });
    return f;
  }

  private follow(pollMs: number, fsWatch: boolean): void {
    if (fsWatch) this.watchDir();
    this.poll = setInterval(() => {
      void this.statKey().then((k) => {
        if (k !== this.lastStat) this.changed();
      });
    }, pollMs);
    this.poll.unref();
  }

  /** The directory, not the file: an editor's or a deploy's rename over the file replaces its inode. */
  private watchDir(): void {
    const name = basename(this.path);
    try {
      this.watcher = watch(dirname(this.path), { persistent: false }, (_ev, f) => {
        if (f === null || f === name) this.changed();
      });
      this.watcher.on('error', (e) => {
        this.log.warn('watching the tokens file failed; polling it', { file: this.path, error: errMsg(e) });
        this.watcher?.close();
        this.watcher = undefined;
      });
    } catch (e) {
      this.log.warn('cannot watch the tokens file; polling it', { file: this.path, error: errMsg(e) });
    }
  }

  private async statKey(): Promise<string> {
    try {
      const s = await stat(this.path);
      return `${s.ino}:${s.size}:${s.mtimeMs}`;
    } catch {
      return 'missing';
    }
  }

  /** Coalesces bursts of change notifications into one read at a time (and one more after it). */
  private changed(): void {
    if (this.stopped) return;
    if (this.reading) {
      this.again = true;
      return;
    }
    this.reading = this.reload().finally(() => {
      this.reading = undefined;
      if (this.again) {
        this.again = false;
        this.changed();
      }
    });
  }

  /** Re-reads the file now; resolves once the new tokens (or the refusal) are in place. */
  async reload(): Promise<void> {
    this.lastStat = await this.statKey();
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (e) {
      this.log.warn('tokens file unreadable; keeping the last good tokens', { file: this.path, error: errMsg(e) });
      return;
    }
    if (text === this.text || text === this.refused) return;
    try {
      const entries = parseTokens(text);
      this.auth.replace(entries);
      this.text = text;
      this.log.info('tokens reloaded', { file: this.path, tokens: entries.length });
    } catch (e) {
      this.refused = text;
      this.log.warn('tokens file not valid; keeping the last good tokens', { file: this.path, error: errMsg(e) });
    }
  }

  close(): void {
    this.stopped = true;
    this.watcher?.close();
    if (this.poll) clearInterval(this.poll);
  }
}
