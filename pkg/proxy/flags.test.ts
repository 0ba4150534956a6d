import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseProxyFlags, type RawProxyFlags } from './flags.js';

const fails = (raw: RawProxyFlags, message: string) =>
  assert.throws(() => parseProxyFlags(raw), (e: Error) => {
    assert.equal(e.name, 'ProxyFlagError');
    assert.equal(e.message, message);
    return true;
  });

describe('proxy flags', () => {
  it('defaults: the local server (or $STOWAGE_SERVER), round-robin, no --listen', () => {
    const c = parseProxyFlags({});
    assert.equal(c.server.href, 'http://127.0.0.1:7070/');
    assert.equal(c.balance, 'round-robin');
    assert.equal(c.logLevel, 'info');
    assert.equal(c.listen, undefined);
    assert.equal(parseProxyFlags({}, { STOWAGE_SERVER: 'http://api.stowage.test:7070' }).server.host, 'api.stowage.test:7070');
    assert.equal(parseProxyFlags({ server: 'http://127.0.0.1:9' }, { STOWAGE_SERVER: 'http://api.stowage.test:7070' }).server.port, '9', 'the flag wins');
  });

  it('takes every flag', () => {
    const c = parseProxyFlags({ server: 'https://api.example:8443/', listen: '[::1]:7072', balance: 'least-connections', logLevel: 'debug' });
    assert.equal(c.server.protocol, 'https:');
    assert.deepEqual(c.listen, { host: '::1', port: 7072 });
    assert.equal(c.balance, 'least-connections');
    assert.equal(c.logLevel, 'debug');
  });

  it('refuses bad values naming the flag and the rule', () => {
    fails({ server: '127.0.0.1:7070' }, '--server: "127.0.0.1:7070" is not an http:// or https:// URL of the API server (e.g. http://127.0.0.1:7070)');
    fails({ server: 'ftp://h' }, '--server: "ftp://h" is not an http:// or https:// URL of the API server (e.g. http://127.0.0.1:7070)');
    fails({ server: 'http://h:7070/?x=1' }, '--server: "http://h:7070/?x=1" is not an http:// or https:// URL of the API server (e.g. http://127.0.0.1:7070)');
    fails({ listen: '7072' }, '--listen: "7072" is not HOST:PORT (e.g. 127.0.0.1:7072)');
    fails({ listen: '127.0.0.1:70720' }, '--listen: "127.0.0.1:70720" is not HOST:PORT (e.g. 127.0.0.1:7072)');
    fails({ balance: 'random' }, '--balance: "random" is not one of round-robin, least-connections');
    fails({ logLevel: 'loud' }, '--log-level: "loud" is not one of error, warn, info, debug');
  });
});
