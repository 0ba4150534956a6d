/**
 * The audit log (`--audit-log FILE`): one JSON line per write through the
 * API — who, in which role, what verb on which object, the answer's code,
 * when. Never a body and never a token. The file is rotated by size:
 * FILE -> FILE.1 -> ... -> FILE.<keep>, the oldest dropped.
 *
 *   {"time":"2026-12-02T14:30:00.000Z","user":"bob","role":"operator","verb":"create",
 *    "kind":"services","namespace":"a","name":"web","code":201}
 *
 * Lines are appended synchronously: one small write to the page cache per
 * request, and a line is on disk (as far as the kernel goes) before the next.
 */
import { closeSync, existsSync, fstatSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { errMsg, type Logger } from '../log/logger.js';

export interface AuditRecord {
  user: string | null;
  role: string | null;
  verb: string;
  kind: string;
  namespace?: string;
  name?: string;
  sub?: string;
  /** The request's path, when no object could be named (a write refused before it was understood). */
  path?: string;
  code: number;
}

export interface AuditOptions {
  path: string;
  /** Rotate when the file would pass this many bytes. */
  maxBytes: number;
  /** Rotated files kept beside the current one. */
  keep: number;
  log: Logger;
  now?: () => Date;
}

export class AuditLog {
  private fd: number;
  private size: number;
  private failing = false;

  constructor(private readonly o: AuditOptions) {
    this.fd = openSync(o.path, 'a', 0o600);
    this.size = fstatSync(this.fd).size;
  }

  write(r: AuditRecord): void {
    const line = JSON.stringify({ time: (this.o.now?.() ?? new Date()).toISOString(), ...r }) + '\n';
    const n = Buffer.byteLength(line);
    try {
      if (this.size > 0 && this.size + n > this.o.maxBytes) this.rotate();
      writeSync(this.fd, line);
      this.size += n;
      this.failing = false;
    } catch (e) {
      // a full disk must not end the server; say so once per run of failures
      if (!this.failing) this.o.log.error('cannot write the audit log', { file: this.o.path, error: errMsg(e) });
      this.failing = true;
    }
  }

  private rotate(): void {
    closeSync(this.fd);
    const p = this.o.path;
    if (this.o.keep < 1) rmSync(p, { force: true });
    else {
      rmSync(`${p}.${this.o.keep}`, { force: true });
      for (let i = this.o.keep - 1; i >= 1; i--) if (existsSync(`${p}.${i}`)) renameSync(`${p}.${i}`, `${p}.${i + 1}`);
      renameSync(p, `${p}.1`);
    }
    this.fd = openSync(p, 'a', 0o600);
    this.size = 0;
  }

  close(): void {
    try {
      closeSync(this.fd);
    } catch {
      // already closed
    }
  }
}
