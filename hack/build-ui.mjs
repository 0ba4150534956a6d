#!/usr/bin/env node
// Build the web UI (ui/) with esbuild into dist/ui (or the directory given as the first argument): index.html plus app-HASH.js and app-HASH.css.
// The server (pkg/server/ui.ts) serves index.html no-cache and the hashed files for a year.
// Prints the bundle's size, gzipped; fails above the budget (150 KB gzipped).
import { build } from 'esbuild';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = resolve(process.argv[2] ?? join(root, 'dist/ui'));
const BUDGET = 150 * 1024;
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const r = await build({
  entryPoints: { app: join(root, 'ui/src/main.ts') },
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['es2020'],
  outdir: out,
  entryNames: '[name]-[hash]',
  metafile: true,
  legalComments: 'none',
  logLevel: 'warning',
  absWorkingDir: root,
});
const outputs = Object.keys(r.metafile.outputs).map((p) => resolve(root, p));
const js = outputs.find((p) => p.endsWith('.js'));
const css = outputs.find((p) => p.endsWith('.css'));
const page = readFileSync(join(root, 'ui/index.html'), 'utf8')
  .replace('<!--CSS-->', css ? `<link rel="stylesheet" href="/${basename(css)}">` : '')
  .replace('<!--JS-->', `<script type="module" src="/${basename(js)}"></script>`);
writeFileSync(join(out, 'index.html'), page);
let total = 0;
const sizes = [join(out, 'index.html'), ...outputs].map((p) => {
  const gz = gzipSync(readFileSync(p), { level: 9 }).length;
  total += gz;
  return `${basename(p)} ${(gz / 1024).toFixed(1)} KB`;
});
console.log(`ui: ${out} ${sizes.join(', ')}; ${(total / 1024).toFixed(1)} KB gzipped in all (budget ${BUDGET / 1024} KB)`);
if (total > BUDGET) {
  console.error(`ui: the bundle is ${(total / 1024).toFixed(1)} KB gzipped, over the ${BUDGET / 1024} KB budget`);
  process.exit(1);
}
