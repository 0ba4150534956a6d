import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { uiRoutes } from './ui.js';

async function serve(dir: string): Promise<{ server: Server; url: string }> {
  const route = uiRoutes(dir);
  const server = createServer((req, res) => {
    void route(req, res, new URL(req.url ?? '/', 'http://x')).then((done) => {
      if (!done) res.writeHead(404).end('no route');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe('web UI routes', () => {
  let dir: string;
  let empty: string;
  let s: { server: Server; url: string };
  let e: { server: Server; url: string };
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ui-'));
    empty = mkdtempSync(join(tmpdir(), 'ui-empty-'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><script src="/app-ABC123.js"></script>');
    writeFileSync(join(dir, 'app-ABC123.js'), 'console.log(1)');
    writeFileSync(join(dir, 'app-DEF456.css'), 'body{}');
    s = await serve(dir);
    e = await serve(empty);
  });
  after(() => {
    s.server.close();
    e.server.close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(empty, { recursive: true, force: true });
  });

  it('serves index.html at / with no-cache, and the hashed files cached for a year', async () => {
    const root = await fetch(`${s.url}/`);
    assert.equal(root.status, 200);
    assert.equal(root.headers.get('cache-control'), 'no-cache');
    assert.match(root.headers.get('content-type')!, /^text\/html/);
    assert.match(await root.text(), /app-ABC123\.js/);
    const js = await fetch(`${s.url}/app-ABC123.js`);
    assert.equal(js.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assert.match(js.headers.get('content-type')!, /^text\/javascript/);
    assert.equal(await js.text(), 'console.log(1)');
    const css = await fetch(`${s.url}/app-DEF456.css`);
    assert.match(css.headers.get('content-type')!, /^text\/css/);
  });

  it('leaves other paths and methods to the next route', async () => {
    assert.equal((await fetch(`${s.url}/app-OTHER.js`)).status, 404);
    assert.equal((await fetch(`${s.url}/`, { method: 'POST' })).status, 404);
    assert.equal((await fetch(`${s.url}/../etc/passwd`)).status, 404);
  });

  it('without a build, / says how to make one', async () => {
    const r = await fetch(`${e.url}/`);
    assert.equal(r.status, 200);
    assert.match(await r.text(), /make build/);
    assert.equal((await fetch(`${e.url}/app.js`)).status, 404);
  });
});
