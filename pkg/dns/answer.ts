/**
 * What the DNS server answers: a pure function of (query, endpoints source).
 * Encoding and decoding are dns-packet's; this file only decides.
 *
 *   <service>.<namespace>.stowage.               A / AAAA: the hosts of its ready instances
 *                                                 SRV: every ready instance of every port
 *   _<port>._tcp.<service>.<namespace>.stowage.  SRV: host port of each ready instance of that
 *                                                 named port, target <task>.<service>.<namespace>.stowage.
 *                                                 (with its A record in the additional section)
 *   <task>.<service>.<namespace>.stowage.        A / AAAA: the host of that ready instance
 *   any other name under stowage.                NXDOMAIN
 *   a name outside stowage.                      REFUSED (this is no recursive resolver)
 *   anything in stowage. while the source is not ready   SERVFAIL (resolvers try again)
 *
 * A name that exists but has no record of the type asked (say, a service
 * with no ready instance) is NOERROR with no answer. Negative answers carry
 * the zone's SOA, whose minimum is the TTL, so resolvers cache them as
 * briefly as the answers. Every answer is authoritative with a short TTL:
 * instances come and go.
 */
import { isIP } from 'node:net';
import * as dns from 'dns-packet';
import type { EndpointAddress, Endpoints } from '../api/types.js';
import { isDns1123Label } from '../api/names.js';

/** Where answers come from: the server's endpoints view (or anything with its `get`). */
export interface EndpointsSource {
  get(namespace: string, name: string): Endpoints | undefined;
  /** False while the source does not know the cluster yet (names in the zone are SERVFAIL, not NXDOMAIN, so nothing caches a wrong "no such name"). */
  ready?(): boolean;
}

export interface AnswerOptions {
  /** The zone, without dots: names are `<service>.<namespace>.<zone>.`. */
  zone: string;
  /** Seconds resolvers may keep an answer (and a negative one). */
  ttl: number;
}

export const DNS_DEFAULTS: AnswerOptions = { zone: 'stowage', ttl: 5 };

export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
export type Rcode = (typeof RCODE)[keyof typeof RCODE];

export interface Answer {
  rcode: Rcode;
  answers: dns.Answer[];
  authorities: dns.Answer[];
  additionals: dns.Answer[];
}

type Name =
  | { kind: 'apex' }
  | { kind: 'service'; namespace: string; service: string }
  | { kind: 'task'; namespace: string; service: string; task: string }
  | { kind: 'port'; namespace: string; service: string; port: string }
  | { kind: 'unknown' }
  | { kind: 'outside' };

/** A question's name, read against the zone (case-insensitively, as DNS names are). */
export function parseName(raw: string, zone: string): Name {
  const labels = raw.toLowerCase().replace(/\.$/, '').split('.');
  const z = zone.toLowerCase().split('.');
  if (labels.length < z.length || labels.slice(-z.length).join('.') !== z.join('.')) return { kind: 'outside' };
  const l = labels.slice(0, labels.length - z.length);
  if (l.length === 1 && l[0] === '') return { kind: 'apex' };
  if (l.length === 0) return { kind: 'apex' };
  if (l.length === 2) return { kind: 'service', service: l[0]!, namespace: l[1]! };
  if (l.length === 3) return { kind: 'task', task: l[0]!, service: l[1]!, namespace: l[2]! };
  if (l.length === 4 && l[0]!.startsWith('_') && l[1] === '_tcp') return { kind: 'port', port: l[0]!.slice(1), service: l[2]!, namespace: l[3]! };
  return { kind: 'unknown' };
}

/** The answer to one question. */
export function answerQuestion(q: dns.Question, source: EndpointsSource, o: AnswerOptions = DNS_DEFAULTS): Answer {
  const out: Answer = { rcode: RCODE.NOERROR, answers: [], authorities: [], additionals: [] };
  const cls = q.class ?? 'IN';
  if (cls !== 'IN' && cls !== 'ANY') return { ...out, rcode: RCODE.REFUSED };
  const name = parseName(q.name, o.zone);
  const soa = () => soaRecord(o);
  const negative = (rcode: Rcode): Answer => ({ ...out, rcode, authorities: [soa()] });
  const want = (t: dns.RecordType) => q.type === t || q.type === ('ANY' as dns.RecordType);

  switch (name.kind) {
    case 'outside':
      return { ...out, rcode: RCODE.REFUSED };
    case 'apex':
      if (want('SOA')) out.answers.push(soa());
      else out.authorities.push(soa());
      return out;
  }
  if (source.ready?.() === false) return { ...out, rcode: RCODE.SERVFAIL };
  if (name.kind === 'unknown') return negative(RCODE.NXDOMAIN);
  const e = source.get(name.namespace, name.service);
  if (!e) return negative(RCODE.NXDOMAIN);
  const ready = (ports: Endpoints['ports']) => ports.flatMap((p) => p.addresses);

  if (name.kind === 'service') {
    const addrs = ready(e.ports);
    if (want('A') || want('AAAA')) out.answers.push(...hostRecords(q.name, addrs, o, want('A'), want('AAAA')));
    if (want('SRV')) addSrv(out, e, e.ports, o);
  } else if (name.kind === 'port') {
    const port = e.ports.find((p) => p.name === name.port);
    if (!port) return negative(RCODE.NXDOMAIN);
    if (want('SRV')) addSrv(out, e, [port], o, q.name);
  } else {
    const a = ready(e.ports).find((x) => x.task.toLowerCase() === name.task);
    if (!a) return negative(RCODE.NXDOMAIN);
    if (isIP(a.host) === 0) {
      // a host given by name: point at it
      if (want('CNAME') || want('A') || want('AAAA')) out.answers.push({ type: 'CNAME', name: q.name, ttl: o.ttl, class: 'IN', data: a.host });
    } else {
      out.answers.push(...hostRecords(q.name, [a], o, want('A'), want('AAAA')));
    }
  }
  if (out.answers.length === 0) out.authorities.push(soa());
  return out;
}

/** One A (IPv4) or AAAA (IPv6) record per distinct host; hosts given by name are left out. */
function hostRecords(owner: string, addrs: EndpointAddress[], o: AnswerOptions, a: boolean, aaaa: boolean): dns.Answer[] {
  const seen = new Set<string>();
  const out: dns.Answer[] = [];
  for (const x of addrs) {
    if (seen.has(x.host)) continue;
    seen.add(x.host);
    const v = isIP(x.host);
    if (v === 4 && a) out.push({ type: 'A', name: owner, ttl: o.ttl, class: 'IN', data: x.host });
    if (v === 6 && aaaa) out.push({ type: 'AAAA', name: owner, ttl: o.ttl, class: 'IN', data: x.host });
  }
  return out;
}

/** SRV per ready instance of these ports, targets named after tasks, their addresses as additionals. */
function addSrv(out: Answer, e: Endpoints, ports: Endpoints['ports'], o: AnswerOptions, owner?: string): void {
  const base = `${e.metadata.name}.${e.metadata.namespace}.${o.zone}`;
  const targets = new Set<string>();
  for (const p of ports) {
    for (const a of p.addresses) {
      const task = a.task.toLowerCase();
      if (!isDns1123Label(task)) continue;
      const target = `${task}.${base}`;
      out.answers.push({ type: 'SRV', name: owner ?? `_${p.name}._tcp.${base}`, ttl: o.ttl, class: 'IN', data: { priority: 0, weight: 10, port: a.port, target } });
      if (targets.has(target)) continue;
      targets.add(target);
      if (isIP(a.host) === 0) out.additionals.push({ type: 'CNAME', name: target, ttl: o.ttl, class: 'IN', data: a.host });
      else out.additionals.push(...hostRecords(target, [a], o, true, true));
    }
  }
}

function soaRecord(o: AnswerOptions): dns.Answer {
  return {
    type: 'SOA',
    name: o.zone,
    ttl: o.ttl,
    class: 'IN',
    data: { mname: `ns.${o.zone}`, rname: `hostmaster.${o.zone}`, serial: 1, refresh: 60, retry: 30, expire: 86400, minimum: o.ttl },
  };
}

// ---- whole messages ----

const FLAG_AA = 1 << 10;
const FLAG_TC = 1 << 9;
const FLAG_RD = 1 << 8;
const OPCODE_MASK = 0xf << 11;
/** The most a UDP answer may take without EDNS (RFC 1035), and the most we offer with it. */
const UDP_PLAIN = 512;
const UDP_EDNS_MAX = 1232;

export interface RespondOptions extends AnswerOptions {
  transport: 'udp' | 'tcp';
}

/**
 * A decoded name that encodes back to the same wire name: dns-packet joins
 * labels with '.', so a label holding a '.' or bytes that are not UTF-8
 * would come back as other labels, or as a corrupt length.
 */
function encodable(name: string): boolean {
  if (name === '.') return true;
  const labels = name.replace(/\.$/, '').split('.');
  return Buffer.byteLength(name) <= 253 && labels.every((l) => l.length > 0 && Buffer.byteLength(l) <= 63 && !l.includes('\ufffd'));
}

/**
 * One message in, one message out (or undefined: nothing worth answering,
 * e.g. fewer bytes than a header, or a response rather than a query).
 * Never throws: garbage gets FORMERR when it has a header to answer to.
 */
export function respond(msg: Buffer, source: EndpointsSource, o: RespondOptions): Buffer | undefined {
  if (msg.length < 12) return undefined;
  const id = msg.readUInt16BE(0);
  const flags = msg.readUInt16BE(2);
  if (flags & 0x8000) return undefined; // a response: never answer one (no loops between servers)
  const opcodeBits = flags & OPCODE_MASK;
  const rd = flags & FLAG_RD;
  const bare = (rcode: Rcode, questions: dns.Question[] = []) =>
    dns.encode({ id, type: 'response', flags: opcodeBits | rd | rcode, questions, answers: [], authorities: [], additionals: [] });
  let query: dns.DecodedPacket;
  try {
    query = dns.decode(msg);
  } catch {
    return bare(RCODE.FORMERR);
  }
  try {
    const questions = query.questions ?? [];
    if (opcodeBits !== 0) return bare(RCODE.NOTIMP, questions.length === 1 && encodable(questions[0]!.name) ? questions : []);
    if (questions.length !== 1 || !encodable(questions[0]!.name)) return bare(RCODE.FORMERR);
    const q = questions[0]!;
    const opt = (query.additionals ?? []).find((a): a is dns.OptAnswer => a.type === 'OPT');
    const a = answerQuestion(q, source, o);
    const ednsOut: dns.Answer[] = opt ? [{ type: 'OPT', name: '.', udpPayloadSize: UDP_EDNS_MAX, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] } as dns.OptAnswer] : [];
    const packet: dns.Packet = {
      id,
      type: 'response',
      flags: FLAG_AA | rd | a.rcode,
      questions: [q],
      answers: a.answers,
      authorities: a.authorities,
      additionals: [...a.additionals, ...ednsOut],
    };
    let buf = dns.encode(packet);
    const limit = o.transport === 'tcp' ? 65535 : opt ? Math.min(Math.max(opt.udpPayloadSize, UDP_PLAIN), UDP_EDNS_MAX) : UDP_PLAIN;
    if (buf.length > limit) {
      // too big for this transport: say so, and the resolver asks again over TCP
      buf = dns.encode({ ...packet, flags: FLAG_AA | FLAG_TC | rd | a.rcode, answers: [], authorities: [], additionals: ednsOut });
    }
    return buf;
  } catch {
    return bare(RCODE.SERVFAIL);
  }
}
