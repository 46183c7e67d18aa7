/**
 * Number formatting for notebook tables and findings, one definition instead of one per notebook.
 *
 * @example
 * ```ts
 * import { pct, pctValue } from "./format.ts";
 * pct(0.03274);        // "3.27"
 * pct(0.03274, 1);     // "3.3"
 * pctValue(0.03274);   // 3.27 (a number, for tables and plots)
 * ```
 */

/** A share as a percentage string with `digits` decimals. Pure. */
export function pct(x: number, digits = 2): string {
  return (100 * x).toFixed(digits);
}

/** A share as a percentage number rounded to `digits` decimals. Pure. */
export function pctValue(x: number, digits = 2): number {
  return +(100 * x).toFixed(digits);
}
