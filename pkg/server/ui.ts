/**
 * The web UI: the static files `make build` writes to dist/ui (hack/build-ui.mjs, from ui/).
 * index.html is answered at / with `no-cache` (it names the current bundle); the bundle's
 * files carry a content hash in their names and are cached for a year. Files are read once,
 * at the first request, and kept in memory; without a build, / says how to make one.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const NO_BUILD = `<!doctype html><html><head><meta charset="utf-8"><title>Stowage</title></head>
<body><h1>Stowage</h1><p>The web UI is not built: run <code>make build</code>. The API is at <a href="/api/v1/services">/api/v1/</a>; metrics at <a href="/metrics">/metrics</a>.</p></body></html>`;

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
};
const IMMUTABLE = 'public, max-age=31536000, immutable';

interface UiFile {
  body: Buffer;
  type: string;
  cache: string;
}

/** The repository root: the nearest directory above this module holding package.json. */
function repoRoot(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(d, 'package.json'))) return d;
    const up = dirname(d);
    if (up === d) return process.cwd();
    d = up;
  }
}

/** dist/ui's files by URL path; '/' is index.html. Empty when there is no build. */
export function loadUi(dir: string): Map<string, UiFile> {
  const files = new Map<string, UiFile>();
  if (!existsSync(join(dir, 'index.html'))) return files;
  for (const name of readdirSync(dir)) {
    const type = TYPES[extname(name)];
    if (!type) continue;
    const body = readFileSync(join(dir, name));
    const cache = name === 'index.html' ? 'no-cache' : IMMUTABLE;
    files.set(`/${name}`, { body, type, cache });
  }
  const index = files.get('/index.html');
  if (index) files.set('/', index);
  return files;
}

export function uiRoutes(dir = process.env.STOWAGE_UI_DIR ?? resolve(repoRoot(), 'dist/ui')): (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<boolean> {
  let files: Map<string, UiFile> | undefined;
  return async (req, res, url) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    files ??= loadUi(dir);
    if (files.size === 0) {
      if (url.pathname !== '/' && url.pathname !== '/index.html') return false;
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' }).end(NO_BUILD);
      return true;
    }
    const f = files.get(url.pathname);
    if (!f) return false;
    res.writeHead(200, { 'content-type': f.type, 'cache-control': f.cache, 'content-length': f.body.length, 'x-content-type-options': 'nosniff' });
    res.end(req.method === 'HEAD' ? undefined : f.body);
    return true;
  };
}
