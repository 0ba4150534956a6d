/** The web UI: static files from ui/ (a placeholder page until the UI lands). */
import type { IncomingMessage, ServerResponse } from 'node:http';

const PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>Stowage</title></head>
<body><h1>Stowage</h1><p>The API is at <a href="/api/v1/services">/api/v1/</a>; metrics at <a href="/metrics">/metrics</a>.</p></body></html>`;

export function uiRoutes(): (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<boolean> {
  return async (req, res, url) => {
    if (req.method !== 'GET' || (url.pathname !== '/' && url.pathname !== '/index.html')) return false;
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE);
    return true;
  };
}
