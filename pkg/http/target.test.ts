import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { ApiError } from '../api/errors.js';
import { parseTarget, pathSegments, requireHost } from './target.js';

const refused = (f: () => unknown): ApiError => {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof ApiError, `an ApiError, got ${String(e)}`);
    return e;
  }
  assert.fail('no error');
};

describe('parseTarget', () => {
  it('origin-form: path and query split by hand, the fragment dropped', () => {
    const t = parseTarget('/api/v1/services?watch=1&labelSelector=app%3Dweb#x');
    assert.equal(t.pathname, '/api/v1/services');
    assert.equal(t.search, '?watch=1&labelSelector=app%3Dweb');
    assert.equal(t.searchParams.get('labelSelector'), 'app=web');
  });

  it('origin-form starting with "//" is a path, not a host (new URL threw on these)', () => {
    for (const raw of ['//[', '//x:99999', '//a b', '//']) assert.equal(parseTarget(raw).pathname, raw);
  });

  it('a bad escape in the query stays as sent', () => {
    assert.equal(parseTarget('/x?a=%zz').searchParams.get('a'), '%zz');
  });

  it('absolute-form http(s) URLs: their path and query', () => {
    const t = parseTarget('http://127.0.0.1:7070/api/v1/nodes?x=1');
    assert.equal(t.pathname, '/api/v1/nodes');
    assert.equal(t.searchParams.get('x'), '1');
    assert.equal(parseTarget('https://[::1]/healthz').pathname, '/healthz');
  });

  it('a bad absolute URL, another scheme, or no leading "/": 400 naming the target', () => {
    const bad = refused(() => parseTarget('http://[::1'));
    assert.equal(bad.status, 400);
    assert.equal(bad.message, 'request target "http://[::1" is not a valid URL');
    assert.deepEqual(bad.details, [{ field: 'requestTarget', rule: 'url', message: bad.message }]);
    assert.equal(refused(() => parseTarget('http://x:99999/')).message, 'request target "http://x:99999/" is not a valid URL');
    assert.equal(refused(() => parseTarget('ftp://x/y')).message, 'request target "ftp://x/y" is a ftp URL; only http and https are served');
    assert.equal(refused(() => parseTarget('*')).message, 'request target "*" must be a path starting with "/" (or an absolute http URL)');
  });

  it('a long target is cut in the message', () => {
    const m = refused(() => parseTarget(`x${'a'.repeat(500)}`)).message;
    assert.equal(m, `request target "x${'a'.repeat(99)}..." must be a path starting with "/" (or an absolute http URL)`);
  });
});

describe('pathSegments', () => {
  it('decodes each non-empty segment', () => {
    assert.deepEqual(pathSegments('/services//default/a%2Fb/'), ['services', 'default', 'a/b']);
    assert.deepEqual(pathSegments('/%C3%A9'), ['é']);
  });

  it('a bad escape is a 400 naming the segment (decodeURIComponent threw a URIError)', () => {
    for (const seg of ['%zz', '%', '%E0%A4%A', '%C0%AF']) {
      const e = refused(() => pathSegments(`/services/${seg}`));
      assert.equal(e.status, 400);
      assert.equal(e.message, `request target: path segment ${JSON.stringify(seg)} is not valid percent-encoding (a "%" must start an escape like %2F of UTF-8 bytes)`);
      assert.equal(e.details[0]?.field, 'path');
    }
  });
});

describe('requireHost', () => {
  const req = (httpVersion: string, host?: string) => ({ httpVersion, headers: host === undefined ? {} : { host } }) as unknown as IncomingMessage;

  it('HTTP/1.1 needs one; HTTP/1.0 does not', () => {
    assert.equal(refused(() => requireHost(req('1.1'))).message, 'an HTTP/1.1 request needs a Host header');
    requireHost(req('1.1', 'x'));
    requireHost(req('1.1', ''));
    requireHost(req('1.0'));
  });
});
