/** Fixed-width text output: the examples print tables row by row, so widths are chosen up front. */

/** One column: its header and its width; text columns are left-aligned, numbers right-aligned. */
export interface Column {
  header: string
  width: number
  align?: 'left' | 'right'
}

/** Formats rows of a table whose column widths are fixed, so rows can be printed as they are produced. */
export class Columns {
  constructor(private readonly columns: readonly Column[]) {}

  /** The header line. */
  header(): string {
    return this.row(...this.columns.map((c) => c.header))
  }

  /** One row; cells wider than their column push the rest right rather than being cut. */
  row(...cells: (string | number)[]): string {
    return this.columns
      .map((c, i) => {
        const text = String(cells[i] ?? '')
        return (c.align ?? 'right') === 'right' ? text.padStart(c.width) : text.padEnd(c.width)
      })
      .join('  ')
      .trimEnd()
  }
}

/** Label/value lines with the values aligned after the longest label. */
export function keyValues(pairs: readonly (readonly [string, string])[]): string {
  const width = Math.max(...pairs.map(([k]) => k.length))
  return pairs.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n')
}

/** A count with thousands separators, e.g. `1,000`. */
export function count(n: number): string {
  return n.toLocaleString('en-US')
}

/** Milliseconds with `digits` decimals (default 2). */
export function millis(ms: number, digits = 2): string {
  return ms.toFixed(digits)
}

/** A byte count in the largest binary unit that keeps it at or above 1, e.g. `16.0 MiB`. */
export function bytes(n: number): string {
  if (n < 1024) return `${n} B`
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`
  return `${(n / 1024 / 1024).toFixed(1)} MiB`
}

/** The value at quantile `q` (0-1) of `sorted`, which must be sorted ascending and non-empty. */
export function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!
}
