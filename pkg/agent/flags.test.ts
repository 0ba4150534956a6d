import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseAgentFlags, parseListen, parsePorts, type RawAgentFlags } from './flags.js';

const base: RawAgentFlags = { etcd: 'http://127.0.0.1:2379', node: 'n1' };
const fails = (raw: RawAgentFlags, message: string) =>
  assert.throws(() => parseAgentFlags({ ...base, ...raw }), (e: Error) => {
    assert.equal(e.name, 'FlagError');
    assert.equal(e.message, message);
    return true;
  });

describe('agent flags', () => {
  it('fills defaults', () => {
    const c = parseAgentFlags(base);
    assert.deepEqual(c.nodes, ['n1']);
    assert.equal(c.driver, 'docker');
    assert.deepEqual(c.capacity, {});
    assert.deepEqual(c.portRanges, [{ begin: 31000, end: 31999 }]);
    assert.deepEqual(c.listen, { host: '127.0.0.1', port: 0 });
    assert.equal(c.advertiseHost, '127.0.0.1');
    assert.equal(c.heartbeatTtl, 5);
    assert.equal(c.pidsLimit, 1024);
    assert.equal(c.nofileLimit, 16384);
    assert.equal(c.nprocLimit, 4096);
  });

  it('takes ulimit caps, 0 leaving the engine\'s default', () => {
    const c = parseAgentFlags({ ...base, nofileLimit: '1024', nprocLimit: '0' });
    assert.deepEqual([c.nofileLimit, c.nprocLimit], [1024, 0]);
    fails({ nofileLimit: '-1' }, '--nofile-limit: "-1" is not an integer >= 0');
    fails({ nprocLimit: 'many' }, '--nproc-limit: "many" is not an integer >= 0');
  });

  it('takes capacity, attributes, endpoints', () => {
    const c = parseAgentFlags({ ...base, etcd: 'http://a:1,http://b:2', cpus: '0.5', mem: '1024', disk: '0', attr: ['rack=a', 'zone=eu-1'] });
    assert.deepEqual(c.etcd, ['http://a:1', 'http://b:2']);
    assert.deepEqual(c.capacity, { cpus: 0.5, mem: 1024, disk: 0 });
    assert.deepEqual(c.attributes, { rack: 'a', zone: 'eu-1' });
  });

  it('names hollow nodes with a zero-padded index', () => {
    const c = parseAgentFlags({ etcd: base.etcd, driver: 'sim', nodes: '3', nodePrefix: 'h-' });
    assert.deepEqual(c.nodes, ['h-0001', 'h-0002', 'h-0003']);
    assert.equal(parseAgentFlags({ etcd: base.etcd, driver: 'sim', nodes: '12000' }).nodes[11999], 'sim-12000');
  });

  it('reads port lists and listen addresses', () => {
    assert.deepEqual(parsePorts('32000-32099, 31000-31009,40000'), [
      { begin: 31000, end: 31009 },
      { begin: 32000, end: 32099 },
      { begin: 40000, end: 40000 },
    ]);
    assert.deepEqual(parseListen(':8080'), { host: '0.0.0.0', port: 8080 });
    assert.deepEqual(parseListen('[::1]:0'), { host: '::1', port: 0 });
    assert.equal(parseAgentFlags({ ...base, listen: '0.0.0.0:9000' }).advertiseHost, '127.0.0.1');
  });

  it('refuses bad flags, naming the flag', () => {
    fails({ ports: '31000-' }, '--ports: "31000-" is not a range like 31000-31999');
    fails({ ports: '32000-31000' }, '--ports: "32000-31000" is not a range of ports between 1 and 65535 with begin <= end');
    fails({ ports: '31000-31010,31005-31020' }, '--ports: "31005-31020" overlaps 31000-31010');
    fails({ cpus: 'two' }, '--cpus: "two" is not a positive number');
    fails({ mem: '1.5' }, '--mem: "1.5" is not a positive integer');
    fails({ disk: '-1' }, '--disk: "-1" is not an integer >= 0');
    fails({ attr: ['rack'] }, '--attr: "rack" is not key=value (key: letters, digits, \'.\', \'_\', \'/\', \'-\')');
    fails({ attr: ['hostname=x'] }, '--attr: "hostname" is the node name; set it with --node');
    fails({ driver: 'podman' }, '--driver: "podman" is not a driver; use docker or sim');
    fails({ listen: 'localhost' }, '--listen: "localhost" is not HOST:PORT (e.g. 127.0.0.1:0 for any free port)');
    fails({ heartbeatTtl: '1' }, '--heartbeat-ttl: 1 is too short; etcd leases last at least 2 seconds');
    fails({ node: 'Bad/Name' }, `--node: "Bad/Name" is not a node name; use lowercase letters, digits, '-', '.' and '_', starting and ending with a letter or digit`);
    fails({ nodes: '10' }, '--nodes: only with --driver sim (hollow nodes)');
    fails({ etcd: 'localhost:2379' }, '--etcd: "localhost:2379" is not an endpoint URL; expected http://HOST:PORT');
    assert.throws(() => parseAgentFlags({ etcd: base.etcd }), /--node: required/);
  });
});
