/** Latency summaries and number formatting shared by the benchmark scripts. */

export interface Latency {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

export function latency(samples: number[]): Latency {
  const s = Float64Array.from(samples).sort();
  const a = Array.from(s);
  return { n: a.length, p50: percentile(a, 0.5), p95: percentile(a, 0.95), p99: percentile(a, 0.99), max: a.length ? a[a.length - 1] : Number.NaN };
}

/** A number with `d` decimals, or '-' when not finite. */
export const fmt = (x: number | null | undefined, d = 0): string => (x != null && Number.isFinite(x) ? x.toFixed(d) : '-');

/** `a / b` as "0.25x", or '-' when either is missing. */
export const ratio = (a: number | null | undefined, b: number | null | undefined, d = 2): string =>
  a != null && b != null && Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? `${(a / b).toFixed(d)}x` : '-';
