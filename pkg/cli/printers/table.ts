/**
 * Aligned columns, as kubectl's tabwriter prints them: each column as wide
 * as its widest cell plus three spaces; the last column is not padded.
 */

const GAP = 3;

export function columnWidths(rows: string[][]): number[] {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return widths;
}

export function formatRow(cells: string[], widths: number[]): string {
  return cells
    .map((c, i) => (i === cells.length - 1 ? c : c.padEnd((widths[i] ?? c.length) + GAP)))
    .join('')
    .trimEnd();
}

export function renderTable(header: string[], rows: string[][]): string {
  const all = [header, ...rows];
  const widths = columnWidths(all);
  return all.map((r) => formatRow(r, widths) + '\n').join('');
}

/**
 * For `-w`: rows arrive one at a time, so widths are fixed by the first
 * table and only grow (later rows may then sit out of line, as in kubectl).
 */
export class StreamingTable {
  private widths: number[];
  private headerPrinted = false;

  constructor(
    private readonly header: string[],
    private readonly write: (s: string) => void,
  ) {
    this.widths = columnWidths([header]);
  }

  /** Print the header and these rows, aligned together. */
  start(rows: string[][]): void {
    this.widths = columnWidths([this.header, ...rows]);
    this.write(formatRow(this.header, this.widths) + '\n');
    this.headerPrinted = true;
    for (const r of rows) this.write(formatRow(r, this.widths) + '\n');
  }

  row(cells: string[]): void {
    if (!this.headerPrinted) this.start([]);
    this.widths = cells.map((c, i) => Math.max(this.widths[i] ?? 0, c.length));
    this.write(formatRow(cells, this.widths) + '\n');
  }
}
