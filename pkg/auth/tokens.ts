/**
 * The tokens file of `stowage server --tokens FILE`: who may call the API,
 * in which role and namespaces. It holds sha256 hashes, never tokens:
 *
 *   tokens:
 *     - {user: alice, role: admin, sha256: <hex of sha256(token)>}
 *     - {user: bob, role: operator, namespaces: [a], sha256: <hex>}
 *     - {user: node-1, role: node, sha256: <hex>}      # an agent, bound to its node name
 *
 * parseTokens checks everything and names the entry and field of each error;
 * it never echoes a hash (nor, of course, a token).
 */
import { load } from 'js-yaml';
import { ROLES, type Principal, type Role } from './principal.js';

export interface TokenEntry {
  principal: Principal;
  /** sha256 of the token, 32 bytes. */
  hash: Buffer;
}

const SHAPE = 'the file must be a map with a list `tokens: [{user, role, namespaces?, sha256}]`';
const FIELDS = new Set(['user', 'role', 'namespaces', 'sha256']);
const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** The entries of a tokens file's text; throws an Error naming `tokens[i].field` and the rule. */
export function parseTokens(text: string): TokenEntry[] {
  let doc: unknown;
  if (text.trim() === '') throw new Error(`tokens: required: the file is empty; ${SHAPE}`);
  try {
    doc = load(text, { json: false });
  } catch (e) {
    throw new Error(`not valid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  if (!isObject(doc) || !('tokens' in doc)) throw new Error(`tokens: required: ${SHAPE}`);
  const extra = Object.keys(doc).filter((k) => k !== 'tokens');
  if (extra.length) throw new Error(`${extra[0]}: unknown field; the file holds only \`tokens\``);
  const list = doc.tokens;
  if (!Array.isArray(list)) throw new Error('tokens: must be a list of {user, role, namespaces?, sha256}');
  const out: TokenEntry[] = [];
  const seen = new Map<string, number>();
  list.forEach((raw, i) => {
    const at = `tokens[${i}]`;
    if (!isObject(raw)) throw new Error(`${at}: must be a map {user, role, namespaces?, sha256}`);
    for (const k of Object.keys(raw)) if (!FIELDS.has(k)) throw new Error(`${at}.${k}: unknown field; allowed: user, role, namespaces, sha256`);
    const user = raw.user;
    if (typeof user !== 'string' || user.trim() === '') throw new Error(`${at}.user: required: a non-empty string`);
    const who = `${at} (user ${user})`;
    const role = raw.role;
    if (typeof role !== 'string' || !ROLES.includes(role as Role)) throw new Error(`${who}.role: must be one of ${ROLES.join(', ')}`);
    const sha = raw.sha256;
    if (typeof sha !== 'string' || !/^[0-9a-fA-F]{64}$/.test(sha)) throw new Error(`${who}.sha256: must be 64 hex digits (sha256 of the token; quote it if YAML reads it as a number)`);
    const key = sha.toLowerCase();
    if (seen.has(key)) throw new Error(`${who}.sha256: the same hash as tokens[${seen.get(key)}]: one token may name only one user`);
    seen.set(key, i);
    const principal: Principal = { user, role: role as Role };
    if (raw.namespaces !== undefined) {
      const ns = raw.namespaces;
      if (role === 'admin' || role === 'node') throw new Error(`${who}.namespaces: not allowed for role ${role} (an ${role} is not scoped to namespaces)`);
      if (!Array.isArray(ns) || ns.length === 0) throw new Error(`${who}.namespaces: must be a non-empty list of namespace names (leave it out for every namespace)`);
      ns.forEach((n, j) => {
        if (typeof n !== 'string' || !NAME.test(n)) throw new Error(`${who}.namespaces[${j}]: must be a namespace name (lower-case letters, digits and '-')`);
      });
      principal.namespaces = Object.freeze([...new Set(ns as string[])]);
    }
    out.push({ principal: Object.freeze(principal), hash: Buffer.from(key, 'hex') });
  });
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
