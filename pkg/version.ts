/** The Stowage version, from package.json (read once at start). */
import { readFileSync } from 'node:fs';

function read(): string {
  for (const p of ['../package.json', '../../package.json']) {
    try {
      const j = JSON.parse(readFileSync(new URL(p, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (j.name === 'stowage' && j.version) return j.version;
    } catch {
      // not here: dist/ is one level deeper than the source tree
    }
  }
  return '0.0.0';
}

export const VERSION = read();
