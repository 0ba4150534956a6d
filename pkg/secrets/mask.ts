/** Hide secret values in text an agent writes elsewhere (a failed start's message, a crashed container's last output). */
export const MASK = '***';

/** text with every occurrence of each non-empty value replaced by ***, the longest values first. */
export function maskValues(text: string, values: Iterable<string>): string {
  const vs = [...new Set(values)].filter((v) => v !== '').sort((a, b) => b.length - a.length);
  let out = text;
  for (const v of vs) out = out.split(v).join(MASK);
  return out;
}
