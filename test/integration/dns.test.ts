/**
 * The DNS server over real UDP and TCP, asked with dig; garbage packets sent
 * at it; and `stowage server --dns-listen` (real etcd) serving it.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { promisify } from 'node:util';
import type { Endpoints } from '../../pkg/api/types.js';
import type { EndpointsSource } from '../../pkg/dns/answer.js';
import { startDnsServer, type DnsServer } from '../../pkg/dns/server.js';
import { nopLogger } from '../../pkg/log/logger.js';
import { freePort, startEtcd, type TestEtcd } from '../helpers/etcd.js';
import { spawnServer, type ServerProc } from '../helpers/stowage.js';
import { stowageCommand } from '../helpers/commands.js';
import { address, endpoints } from '../helpers/endpoints-api.js';
import { until } from '../helpers/wait.js';

const run = promisify(execFile);

async function dig(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run('dig', ['@127.0.0.1', '-p', String(port), '+time=2', '+tries=1', ...args], { timeout: 15_000 });
  return stdout;
}
const short = async (port: number, ...args: string[]) => (await dig(port, '+short', ...args)).split('\n').filter(Boolean).sort();
const status = async (port: number, ...args: string[]) => /status: (\w+)/.exec(await dig(port, ...args))?.[1];

describe('dns server (dig over UDP and TCP)', () => {
  let dns: DnsServer;
  const known = new Map<string, Endpoints>();
  const source: EndpointsSource = { get: (ns, name) => known.get(`${ns}/${name}`) };
  const put = (e: Endpoints) => known.set(`${e.metadata.namespace}/${e.metadata.name}`, e);

  before(async () => {
    put(endpoints('default', 'web', [{ name: 'http', servicePort: 10080, addresses: [address(31001, 'web-aaaaa'), { ...address(31002, 'web-bbbbb', 'n2'), host: '127.0.0.2' }] }]));
    dns = await startDnsServer({ host: '127.0.0.1', port: await freePort(), source, log: nopLogger });
  });
  after(() => dns?.close());

  it('A of a service lists the hosts of its ready instances', async () => {
    assert.deepEqual(await short(dns.port, 'A', 'web.default.stowage'), ['127.0.0.1', '127.0.0.2']);
  });

  it('SRV of a named port lists each ready instance, with targets that resolve by A', async () => {
    assert.deepEqual(await short(dns.port, 'SRV', '_http._tcp.web.default.stowage'), ['0 10 31001 web-aaaaa.web.default.stowage.', '0 10 31002 web-bbbbb.web.default.stowage.']);
    assert.deepEqual(await short(dns.port, 'A', 'web-bbbbb.web.default.stowage'), ['127.0.0.2']);
    const full = await dig(dns.port, 'SRV', '_http._tcp.web.default.stowage');
    assert.match(full, /flags: qr aa rd;/, 'authoritative');
    assert.match(full, /ADDITIONAL SECTION:\nweb-aaaaa\.web\.default\.stowage\.\s+5\s+IN\s+A\s+127\.0\.0\.1/);
    assert.match(full, /ANSWER SECTION:\n_http\._tcp\.web\.default\.stowage\.\s+5\s+IN\s+SRV/, 'TTL 5 s');
  });

  it('answers change with the source; unknown names are NXDOMAIN, outside names REFUSED', async () => {
    put(endpoints('default', 'web', [{ name: 'http', servicePort: 10080, addresses: [address(31003, 'web-ccccc')] }]));
    assert.deepEqual(await short(dns.port, 'SRV', '_http._tcp.web.default.stowage'), ['0 10 31003 web-ccccc.web.default.stowage.']);
    assert.equal(await status(dns.port, 'A', 'nope.default.stowage'), 'NXDOMAIN');
    assert.equal(await status(dns.port, 'SRV', '_grpc._tcp.web.default.stowage'), 'NXDOMAIN');
    assert.equal(await status(dns.port, 'A', 'example.com'), 'REFUSED');
    put(endpoints('default', 'web', [{ name: 'http', servicePort: 10080, addresses: [] }]));
    assert.equal(await status(dns.port, 'A', 'web.default.stowage'), 'NOERROR');
    assert.deepEqual(await short(dns.port, 'A', 'web.default.stowage'), [], 'no ready instance: no record');
  });

  it('TCP works too, and an answer too big for UDP is truncated and fetched again over TCP by dig', async () => {
    put(endpoints('shop', 'big', [{ name: 'http', addresses: Array.from({ length: 80 }, (_, i) => ({ ...address(32000 + i, `big-${String(i).padStart(5, '0')}`), host: `127.0.1.${i}` })) }]));
    assert.equal((await short(dns.port, '+tcp', 'SRV', '_http._tcp.big.shop.stowage')).length, 80);
    assert.match(await dig(dns.port, '+ignore', '+noedns', 'SRV', '_http._tcp.big.shop.stowage'), /flags: qr aa tc rd;/, 'UDP says truncated');
    assert.equal((await short(dns.port, 'SRV', '_http._tcp.big.shop.stowage')).length, 80, 'dig retries over TCP by itself');
  });

  it('survives garbage: random datagrams, truncated and corrupted queries, junk on TCP', async () => {
    const udp = createSocket('udp4');
    const answers: Buffer[] = [];
    udp.on('message', (m) => answers.push(m));
    await new Promise<void>((r) => udp.bind(0, '127.0.0.1', () => r()));
    let seed = 12345;
    const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    const sends: Promise<void>[] = [];
    for (let i = 0; i < 500; i++) {
      const b = Buffer.alloc(Math.floor(rnd() * 300));
      for (let j = 0; j < b.length; j++) b[j] = Math.floor(rnd() * 256);
      if (i % 3 === 0 && b.length >= 12) b.writeUInt16BE(0x0100, 2); // a query header, junk after it
      sends.push(new Promise((r) => udp.send(b, dns.port, '127.0.0.1', () => r())));
    }
    await Promise.all(sends);
    for (const junk of ['\x00\x05hello', '\xff\xff' + 'x'.repeat(100), '\x00\x0c\x00\x01\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00']) {
      const s = connect({ port: dns.port, host: '127.0.0.1' });
      s.on('error', () => undefined);
      s.end(Buffer.from(junk, 'latin1'));
    }
    await until('some garbage got a FORMERR back', () => answers.some((a) => (a[3]! & 0xf) === 1));
    udp.close();
    assert.deepEqual(await short(dns.port, 'A', 'web-aaaaa.web.default.stowage'), [], 'still answering (that task is gone)');
    assert.equal((await short(dns.port, '+tcp', 'SRV', '_http._tcp.big.shop.stowage')).length, 80, 'still answering over TCP');
  });
});

describe('stowage server --dns-listen', () => {
  let etcd: TestEtcd;
  let server: ServerProc;
  let port: number;

  before(async () => {
    etcd = await startEtcd();
    port = await freePort();
    server = await spawnServer(etcd.endpoint, ['--dns-listen', `127.0.0.1:${port}`], [], { until: 'up' });
  });
  after(async () => {
    await server?.stop();
    etcd?.stop();
  });

  it('serves DNS beside the API: authoritative for stowage., REFUSED elsewhere, counted in /metrics', async () => {
    // SERVFAIL while the server's endpoints view is not plugged in or not synced, NXDOMAIN after
    assert.ok(['SERVFAIL', 'NXDOMAIN'].includes((await status(port, 'A', 'web.default.stowage')) ?? ''));
    assert.equal(await status(port, '+tcp', 'SOA', 'stowage'), 'NOERROR');
    assert.equal(await status(port, 'A', 'example.com'), 'REFUSED');
    const text = await (await fetch(`${server.url}/metrics`)).text();
    assert.match(text, /stowage_dns_queries_total\{transport="udp",rcode="REFUSED"\} [1-9]/);
    assert.match(text, /stowage_dns_queries_total\{transport="tcp",rcode="NOERROR"\} [1-9]/);
  });

  it('a bad --dns-listen exits 2 naming the flag', async () => {
    const [cmd, ...pre] = stowageCommand();
    const r = await run(cmd!, [...pre, 'server', '--etcd', etcd.endpoint, '--dns-listen', '8600'], { cwd: new URL('../..', import.meta.url).pathname }).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }),
    );
    assert.equal(r.code, 2);
    assert.equal(r.stderr.trim(), 'error: --dns-listen: "8600" is not HOST:PORT (e.g. 127.0.0.1:7070)');
  });
});
