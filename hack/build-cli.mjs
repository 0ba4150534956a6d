#!/usr/bin/env node
// Bundle stowctl (cmd/stowctl/main.ts) with esbuild into dist/stowctl.mjs plus the chunks its verbs load
// when they run (dist/stowctl/*.mjs), each with a source map. Startup reads the entry (commander and the
// command tree) and the few small chunks it shares with the verbs' code. What a verb does (the HTTP client,
// printers, YAML, the SSE client) is a dynamic import() in its action (pkg/cli/verbs/), so `stowctl --help`
// and `stowctl version --client` never load it. Each file read at startup costs about a millisecond or two.
// Prints what startup loads, in bytes and files.
import { build } from 'esbuild';
import { chmodSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// commander requires node:child_process at load (3-4 ms, the most of any module it needs) only to spawn
// executable subcommands, which stowctl has none of: it gets a stand-in that loads the real one on first use.
const lazyChildProcess = {
  name: 'lazy-child-process',
  setup(b) {
    b.onResolve({ filter: /^node:child_process$/ }, (a) => (/node_modules\/commander\//.test(a.importer) ? { path: 'child_process', namespace: 'lazy' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'lazy' }, () => ({
      contents: "module.exports = { spawn: (...a) => require('node:child_process').spawn(...a) };",
      loader: 'js',
    }));
  },
};

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

// pkg/version.ts reads package.json when loaded; the bundle has the version written in instead, which
// spares startup node:fs as an ES module (whose import loads its streams too).
const bakedVersion = {
  name: 'baked-version',
  setup(b) {
    b.onLoad({ filter: /[\\/]pkg[\\/]version\.ts$/ }, () => ({ contents: `export const VERSION = ${JSON.stringify(version)};`, loader: 'ts' }));
  },
};
const dist = join(root, 'dist');
rmSync(join(dist, 'stowctl'), { recursive: true, force: true });
const r = await build({
  entryPoints: { stowctl: join(root, 'cmd/stowctl/main.ts') },
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: ['node20'],
  minify: true,
  sourcemap: true,
  outdir: dist,
  outExtension: { '.js': '.mjs' },
  entryNames: '[name]',
  chunkNames: 'stowctl/[name]-[hash]',
  // commander and other CommonJS packages call require() for node: builtins; an ES module has none of its own.
  banner: { js: "import { createRequire as __stowctlRequire } from 'node:module'; const require = __stowctlRequire(import.meta.url);" },
  plugins: [lazyChildProcess, bakedVersion],
  metafile: true,
  legalComments: 'none',
  logLevel: 'warning',
  absWorkingDir: root,
});
const entry = join(dist, 'stowctl.mjs');
chmodSync(entry, 0o755);
// What `stowctl --help` loads: the entry and the chunks it imports statically.
const outs = r.metafile.outputs;
const seen = new Set();
const walk = (p) => {
  if (seen.has(p)) return;
  seen.add(p);
  for (const i of outs[p].imports) if (i.kind === 'import-statement' && outs[i.path]) walk(i.path);
};
walk(relative(root, entry));
const startup = [...seen].reduce((n, p) => n + outs[p].bytes, 0);
const all = Object.entries(outs).filter(([p]) => p.endsWith('.mjs')).reduce((n, [, o]) => n + o.bytes, 0);
console.log(`stowctl: ${relative(root, entry)}; startup loads ${(startup / 1024).toFixed(0)} KB in ${seen.size} file(s) of ${(all / 1024).toFixed(0)} KB`);
