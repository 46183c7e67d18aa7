/**
 * Number and path formatting for notebook tables and findings, one definition instead of one per notebook.
 *
 * @example
 * ```ts
 * import { pct, pctValue } from "./format.ts";
 * pct(0.03274);        // "3.27"
 * pct(0.03274, 1);     // "3.3"
 * pctValue(0.03274);   // 3.27 (a number, for tables and plots)
 * ```
 */
import { isAbsolute, relative, sep } from "node:path";
import { REPO_ROOT } from "../runtime/paths.ts";

/**
 * A file path as a notebook shows it: relative to the project root when the file is inside it, so an
 * executed notebook holds no path of the machine it ran on; other paths unchanged. Pure.
 *
 * @example
 * ```ts
 * displayPath("/home/me/sharelock/outputs/results/01.parquet", "/home/me/sharelock");   // "outputs/results/01.parquet"
 * ```
 */
export function displayPath(path: string, root: string = REPO_ROOT): string {
  const rel = relative(root, path);
  return rel && !rel.startsWith("..") && !isAbsolute(rel) ? rel.split(sep).join("/") : path;
}

/** A duration as people read it: seconds under 90 s, minutes under 90 min, else hours to a tenth. Pure. */
export function roughDuration(seconds: number): string {
  if (seconds < 90) return `${Math.max(1, Math.round(seconds))} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

/** A share as a percentage string with `digits` decimals. Pure. */
export function pct(x: number, digits = 2): string {
  return (100 * x).toFixed(digits);
}

/** A share as a percentage number rounded to `digits` decimals. Pure. */
export function pctValue(x: number, digits = 2): number {
  return +(100 * x).toFixed(digits);
}

/**
 * Unseen classes over several seen / unseen splits (they move whole subcategories, so the counts differ):
 * the count as "351-476" (one number when all are equal) and chance as the mean of 100 / count. Pure.
 *
 * @example
 * ```ts
 * classesPerSplit([418, 359]);   // { range: "359-418", meanChancePct: 0.259... }
 * ```
 */
export function classesPerSplit(counts: readonly number[]): { range: string; meanChancePct: number } {
  if (!counts.length) throw new Error("classesPerSplit: no splits");
  const lo = Math.min(...counts), hi = Math.max(...counts);
  return { range: lo === hi ? `${lo}` : `${lo}-${hi}`, meanChancePct: counts.reduce((a, c) => a + 100 / c, 0) / counts.length };
}
