import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as dns from 'dns-packet';
import type { Endpoints } from '../api/types.js';
import { answerQuestion, parseName, RCODE, respond, type EndpointsSource } from './answer.js';

const web: Endpoints = {
  apiVersion: 'stowage/v1',
  kind: 'Endpoints',
  metadata: { namespace: 'default', name: 'web' },
  ports: [
    {
      name: 'http',
      servicePort: 10080,
      addresses: [
        { host: '127.0.0.1', port: 31001, task: 'web-aaaaa', node: 'n1' },
        { host: '127.0.0.2', port: 31002, task: 'web-bbbbb', node: 'n2' },
      ],
    },
    { name: 'admin', addresses: [{ host: '127.0.0.1', port: 31003, task: 'web-aaaaa', node: 'n1' }] },
  ],
};
const idle: Endpoints = { ...web, metadata: { namespace: 'default', name: 'idle' }, ports: [{ name: 'http', addresses: [] }] };
const named: Endpoints = { ...web, metadata: { namespace: 'ops', name: 'db' }, ports: [{ name: 'sql', addresses: [{ host: 'db1.example', port: 5432, task: 'db-ccccc', node: 'n3' }, { host: '::1', port: 5433, task: 'db-ddddd', node: 'n1' }] }] };
const all = [web, idle, named];
const source: EndpointsSource = { get: (ns, name) => all.find((e) => e.metadata.namespace === ns && e.metadata.name === name) };

const ask = (name: string, type: dns.RecordType) => answerQuestion({ name, type, class: 'IN' }, source);
const data = (a: dns.Answer[]) => a.map((x) => (x as { data: unknown }).data);

describe('parseName', () => {
  it('reads the shapes of names in the zone, case-insensitively', () => {
    assert.deepEqual(parseName('web.default.stowage.', 'stowage'), { kind: 'service', service: 'web', namespace: 'default' });
    assert.deepEqual(parseName('WEB.Default.STOWAGE', 'stowage'), { kind: 'service', service: 'web', namespace: 'default' });
    assert.deepEqual(parseName('web-aaaaa.web.default.stowage', 'stowage'), { kind: 'task', task: 'web-aaaaa', service: 'web', namespace: 'default' });
    assert.deepEqual(parseName('_http._tcp.web.default.stowage', 'stowage'), { kind: 'port', port: 'http', service: 'web', namespace: 'default' });
    assert.deepEqual(parseName('stowage.', 'stowage'), { kind: 'apex' });
    assert.deepEqual(parseName('_http._udp.web.default.stowage', 'stowage'), { kind: 'unknown' });
    assert.deepEqual(parseName('default.stowage', 'stowage'), { kind: 'unknown' });
    assert.deepEqual(parseName('example.com', 'stowage'), { kind: 'outside' });
    assert.deepEqual(parseName('stowage.example.com', 'stowage'), { kind: 'outside' });
  });
});

describe('answerQuestion', () => {
  it('A of a service: the hosts of its ready instances, once each, with the short TTL', () => {
    const a = ask('web.default.stowage', 'A');
    assert.equal(a.rcode, RCODE.NOERROR);
    assert.deepEqual(data(a.answers), ['127.0.0.1', '127.0.0.2']);
    assert.ok(a.answers.every((x) => (x as { ttl: number }).ttl === 5 && x.name === 'web.default.stowage'));
  });

  it('SRV of a named port: each ready instance, target resolvable by A in the additional section', () => {
    const a = ask('_http._tcp.web.default.stowage', 'SRV');
    assert.equal(a.rcode, RCODE.NOERROR);
    assert.deepEqual(data(a.answers), [
      { priority: 0, weight: 10, port: 31001, target: 'web-aaaaa.web.default.stowage' },
      { priority: 0, weight: 10, port: 31002, target: 'web-bbbbb.web.default.stowage' },
    ]);
    assert.deepEqual(a.additionals.map((x) => [x.type, x.name, (x as { data: unknown }).data]), [
      ['A', 'web-aaaaa.web.default.stowage', '127.0.0.1'],
      ['A', 'web-bbbbb.web.default.stowage', '127.0.0.2'],
    ]);
    assert.deepEqual(data(ask('web-bbbbb.web.default.stowage', 'A').answers), ['127.0.0.2'], 'the target resolves by A');
  });

  it('SRV of a service name: every port of every ready instance', () => {
    assert.deepEqual(data(ask('web.default.stowage', 'SRV').answers).map((d) => (d as { port: number }).port), [31001, 31002, 31003]);
  });

  it('IPv6 hosts are AAAA; a host given by name is a CNAME of its task name and no A', () => {
    assert.deepEqual(data(ask('db.ops.stowage', 'AAAA').answers), ['::1']);
    assert.deepEqual(ask('db.ops.stowage', 'A').answers, []);
    assert.deepEqual(ask('db-ccccc.db.ops.stowage', 'A').answers.map((x) => [x.type, (x as { data: unknown }).data]), [['CNAME', 'db1.example']]);
    const srv = ask('_sql._tcp.db.ops.stowage', 'SRV');
    assert.deepEqual(srv.additionals.map((x) => x.type), ['CNAME', 'AAAA']);
  });

  it('unknown names are NXDOMAIN with the zone SOA (negative TTL = the TTL)', () => {
    for (const n of ['nope.default.stowage', 'web.other.stowage', '_grpc._tcp.web.default.stowage', 'web-zzzzz.web.default.stowage', 'a.b.c.d.e.stowage', 'default.stowage']) {
      const a = ask(n, 'A');
      assert.equal(a.rcode, RCODE.NXDOMAIN, n);
      assert.equal(a.answers.length, 0);
      assert.equal(a.authorities[0]?.type, 'SOA');
      assert.equal((a.authorities[0] as { data: { minimum: number } }).data.minimum, 5);
    }
  });

  it('a name that exists without records of the type asked is NOERROR and empty (NODATA)', () => {
    assert.deepEqual([ask('idle.default.stowage', 'A').rcode, ask('idle.default.stowage', 'A').answers], [RCODE.NOERROR, []]);
    assert.deepEqual([ask('web.default.stowage', 'MX').rcode, ask('web.default.stowage', 'MX').answers], [RCODE.NOERROR, []]);
    assert.equal(ask('web.default.stowage', 'MX').authorities[0]?.type, 'SOA');
    assert.equal(ask('stowage', 'SOA').answers[0]?.type, 'SOA');
  });

  it('names outside the zone and classes other than IN are REFUSED', () => {
    assert.equal(ask('example.com', 'A').rcode, RCODE.REFUSED);
    assert.equal(answerQuestion({ name: 'web.default.stowage', type: 'A', class: 'CH' }, source).rcode, RCODE.REFUSED);
  });

  it('SERVFAIL for names in the zone while the source is not ready (never a cached NXDOMAIN); outside names still REFUSED', () => {
    let ready = false;
    const warming: EndpointsSource = { get: source.get, ready: () => ready };
    assert.equal(answerQuestion({ name: 'web.default.stowage', type: 'A' }, warming).rcode, RCODE.SERVFAIL);
    assert.equal(answerQuestion({ name: 'nope.default.stowage', type: 'A' }, warming).rcode, RCODE.SERVFAIL);
    assert.equal(answerQuestion({ name: 'example.com', type: 'A' }, warming).rcode, RCODE.REFUSED);
    ready = true;
    assert.equal(answerQuestion({ name: 'web.default.stowage', type: 'A' }, warming).answers.length, 2);
  });

  it('answers from the source as it is now (no cache of its own)', () => {
    let now: Endpoints | undefined = web;
    const live: EndpointsSource = { get: () => now };
    assert.equal(answerQuestion({ name: 'web.default.stowage', type: 'A' }, live).answers.length, 2);
    now = undefined;
    assert.equal(answerQuestion({ name: 'web.default.stowage', type: 'A' }, live).rcode, RCODE.NXDOMAIN);
  });
});

describe('respond', () => {
  const query = (name: string, type: dns.RecordType, extra: Partial<dns.Packet> = {}) =>
    dns.encode({ id: 4242, type: 'query', flags: dns.RECURSION_DESIRED, questions: [{ name, type, class: 'IN' }], ...extra });
  const opts = { zone: 'stowage', ttl: 5, transport: 'udp' as const };

  it('answers with the query id, authoritative, RD echoed, the question echoed', () => {
    const r = dns.decode(respond(query('web.default.stowage', 'A'), source, opts)!);
    assert.equal(r.id, 4242);
    assert.equal(r.type, 'response');
    assert.ok(r.flag_aa && r.flag_rd && !r.flag_tc);
    assert.equal((r as { rcode?: string }).rcode, 'NOERROR');
    assert.deepEqual(r.questions, [{ name: 'web.default.stowage', type: 'A', class: 'IN' }]);
    assert.equal(r.answers!.length, 2);
    assert.equal((dns.decode(respond(query('x.default.stowage', 'A'), source, opts)!) as { rcode?: string }).rcode, 'NXDOMAIN');
  });

  it('garbage: FORMERR when there is a header to answer, nothing below 12 bytes, never a throw', () => {
    assert.equal(respond(Buffer.alloc(0), source, opts), undefined);
    assert.equal(respond(Buffer.from('hello'), source, opts), undefined);
    const junk = Buffer.concat([Buffer.from([0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]), Buffer.from([0xc0, 0x0c])]);
    const r = dns.decode(respond(junk, source, opts)!);
    assert.equal(r.id, 0x1234);
    assert.equal((r as { rcode?: string }).rcode, 'FORMERR');
  });

  it('a response is never answered; other opcodes are NOTIMP; several questions are FORMERR', () => {
    const resp = dns.encode({ id: 1, type: 'response', questions: [{ name: 'web.default.stowage', type: 'A' }] });
    assert.equal(respond(resp, source, opts), undefined);
    const notify = query('web.default.stowage', 'A');
    notify.writeUInt16BE(notify.readUInt16BE(2) | (4 << 11), 2);
    assert.equal((dns.decode(respond(notify, source, opts)!) as { rcode?: string }).rcode, 'NOTIMP');
    const two = dns.encode({ id: 2, type: 'query', questions: [{ name: 'web.default.stowage', type: 'A' }, { name: 'idle.default.stowage', type: 'A' }] });
    assert.equal((dns.decode(respond(two, source, opts)!) as { rcode?: string }).rcode, 'FORMERR');
  });

  it('an answer too big for UDP is truncated (TC) and whole over TCP; EDNS raises the UDP limit', () => {
    const many: Endpoints = {
      ...web,
      ports: [{ name: 'http', addresses: Array.from({ length: 60 }, (_, i) => ({ host: `127.0.${i >> 8}.${i & 255}`, port: 31000 + i, task: `web-${String(i).padStart(5, 'x')}`, node: 'n1' })) }],
    };
    const src: EndpointsSource = { get: () => many };
    const udp = dns.decode(respond(query('_http._tcp.web.default.stowage', 'SRV'), src, opts)!);
    assert.ok(udp.flag_tc);
    assert.equal(udp.answers!.length, 0);
    const tcp = dns.decode(respond(query('_http._tcp.web.default.stowage', 'SRV'), src, { ...opts, transport: 'tcp' })!);
    assert.ok(!tcp.flag_tc);
    assert.equal(tcp.answers!.length, 60);
    const small = dns.decode(respond(query('web.default.stowage', 'A'), { get: () => ({ ...many, ports: [{ ...many.ports[0]!, addresses: many.ports[0]!.addresses.slice(0, 30) }] }) }, opts)!);
    assert.ok(small.flag_tc, '30 A records are over 512 bytes');
    const edns = query('web.default.stowage', 'A', { additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 4096 } as dns.Answer] });
    const big = dns.decode(respond(edns, { get: () => ({ ...many, ports: [{ ...many.ports[0]!, addresses: many.ports[0]!.addresses.slice(0, 30) }] }) }, opts)!);
    assert.ok(!big.flag_tc);
    assert.equal(big.answers!.length, 30);
    assert.ok(big.additionals!.some((a) => a.type === 'OPT'));
  });

  it('property: any bytes get undefined or a decodable response with the same id, never a throw', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        const b = Buffer.from(bytes);
        const out = respond(b, source, opts);
        if (!out) return true;
        const r = dns.decode(out);
        return r.type === 'response' && r.id === b.readUInt16BE(0);
      }),
      { numRuns: 3000 },
    );
  });

  it('property: a valid query with bytes flipped still never throws', () => {
    const base = query('_http._tcp.web.default.stowage', 'SRV');
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(base.length - 1), fc.nat(255)), { maxLength: 6 }), (flips) => {
        const b = Buffer.from(base);
        for (const [i, v] of flips) b[i] = v;
        const out = respond(b, source, opts);
        return out === undefined || dns.decode(out).type === 'response';
      }),
      { numRuns: 3000 },
    );
  });
});
