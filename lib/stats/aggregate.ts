/**
 * Results as polars DataFrames: one row per (run, metric), then grouped summaries.
 *
 * @example
 * ```ts
 * const df = runsFrame([{ vision: "mobilenet-v2", text: "use-lite", dataset: "emoji", split: "unseen", seed: 0, metric: "top1", value: 0.3 }]);
 * summarizeRuns(df, ["text", "metric"]);   // mean, std, ci_lo, ci_hi, n per group
 * ```
 */
import pl from "nodejs-polars";
import { meanInterval } from "./intervals.ts";

/** One measured value. */
export interface RunRow {
  vision: string;
  text: string;
  dataset: string;
  split: string;
  seed: number;
  metric: string;
  value: number;
  [extra: string]: string | number;
}

/** Rows as a DataFrame (columns in a fixed order; extra fields kept). */
export function runsFrame(rows: RunRow[]): pl.DataFrame {
  if (!rows.length) throw new Error("runsFrame: no rows");
  const cols = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  return pl.DataFrame(Object.fromEntries(cols.map((c) => [c, rows.map((r) => r[c] ?? null)])));
}

/** Mean, std and 95% interval of `value` per group. */
export function summarizeRuns(df: pl.DataFrame, by: string[]): pl.DataFrame {
  const groups = new Map<string, { key: Record<string, unknown>; values: number[] }>();
  for (const r of df.toRecords() as Record<string, unknown>[]) {
    const key = Object.fromEntries(by.map((b) => [b, r[b]]));
    const k = JSON.stringify(key);
    const g = groups.get(k) ?? { key, values: [] };
    g.values.push(Number(r.value));
    groups.set(k, g);
  }
  const out = [...groups.values()].map(({ key, values }) => {
    const s = meanInterval(values);
    return { ...key, mean: s.mean, std: s.std, ci_lo: s.ci[0], ci_hi: s.ci[1], n: s.n };
  });
  return pl.DataFrame(out);
}
