/**
 * Authentication of `Authorization: Bearer <token>`: the token's sha256 is
 * compared with every entry's hash in constant time (crypto.timingSafeEqual,
 * and no early exit), so neither a token nor a hash leaks through timing.
 * The entries are swapped whole when the tokens file is reloaded.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { ApiError } from '../api/errors.js';
import type { Principal } from './principal.js';
import type { TokenEntry } from './tokens.js';

export class Authenticator {
  private entries: readonly TokenEntry[];

  constructor(entries: readonly TokenEntry[]) {
    this.entries = entries;
  }

  /** Replace every entry at once (a reload of the tokens file). */
  replace(entries: readonly TokenEntry[]): void {
    this.entries = entries;
  }

  get size(): number {
    return this.entries.length;
  }

  /** The principal of an Authorization header; throws 401 (Unauthorized) for none or a bad token. */
  authenticate(header: string | undefined): Principal {
    if (header === undefined || header === '') throw unauthorized('no token: send Authorization: Bearer <token>');
    const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
    if (!m) throw unauthorized('the Authorization header must be "Bearer <token>"');
    const p = this.lookup(m[1]!);
    if (!p) throw unauthorized('the token is not valid (unknown, or removed from the tokens file)');
    return p;
  }

  /** The principal whose hash matches the token's; every entry is compared. */
  lookup(token: string): Principal | undefined {
    const h = createHash('sha256').update(token, 'utf8').digest();
    let found: Principal | undefined;
    for (const e of this.entries) {
      if (timingSafeEqual(h, e.hash) && found === undefined) found = e.principal;
    }
    return found;
  }
}

export const unauthorized = (message: string): ApiError => new ApiError('Unauthorized', message);
