/** One measured transaction for the gas benchmark (`npm run bench:gas`). */
export interface GasRow {
  /** Key written to bench/results/gas.json, e.g. `buy1`. */
  operation: string;
  /** Transaction gasUsed including the 21k base (or a per-unit figure, as the label says). */
  gasUsed: bigint;
  /** Upper bound the issue sets; the table marks a miss. */
  target?: number;
  /** The published figure we compare against. */
  anchor?: string;
}
