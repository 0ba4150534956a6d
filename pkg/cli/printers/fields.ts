/**
 * Aligned `Label:  value` blocks for describe, kubectl style. Multi-line
 * values continue under the first value line.
 */

export type Field = [label: string, value: string | number | boolean | undefined | null];

export function fields(pairs: Field[], indent = 0): string {
  const shown = pairs.filter(([, v]) => v !== undefined && v !== null);
  const width = Math.max(0, ...shown.map(([l]) => l.length + 1)) + 2;
  const pad = ' '.repeat(indent);
  return shown
    .map(([label, value]) => {
      const lines = String(value === '' ? '<none>' : value).split('\n');
      const head = `${pad}${(label + ':').padEnd(width)}${lines[0]}`;
      const rest = lines.slice(1).map((l) => `${pad}${' '.repeat(width)}${l}`);
      return [head, ...rest].map((l) => l.trimEnd()).join('\n') + '\n';
    })
    .join('');
}

/** `a=1\nb=2`, or <none>. */
export function mapLines(m: Record<string, string | number> | undefined): string {
  const e = Object.entries(m ?? {});
  return e.length ? e.map(([k, v]) => `${k}=${v}`).join('\n') : '<none>';
}

/** `["/bin/sh", "-c", "x y"]` -> `/bin/sh -c 'x y'`. */
export function commandLine(argv: string[] | undefined): string | undefined {
  if (!argv?.length) return undefined;
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** Indent every line of a block. */
export function indent(text: string, n = 2): string {
  const pad = ' '.repeat(n);
  return text
    .split('\n')
    .map((l) => (l ? pad + l : l))
    .join('\n');
}
