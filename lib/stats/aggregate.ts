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

/** Mean and 95% interval of `value` over the runs of one group. */
export interface GroupSummary {
  mean: number;
  std: number;
  ci_lo: number;
  ci_hi: number;
  /** Runs in the group. */
  n: number;
}

/**
 * Mean, std and 95% interval of `value` per group of `by` fields (their values as found), groups in
 * order of first appearance. Pure.
 */
export function groupSummaries(rows: readonly Record<string, unknown>[], by: readonly string[]): (Record<string, unknown> & GroupSummary)[] {
  const groups = new Map<string, { key: Record<string, unknown>; values: number[] }>();
  for (const r of rows) {
    const key = Object.fromEntries(by.map((b) => [b, r[b]]));
    const k = JSON.stringify(key);
    const g = groups.get(k) ?? { key, values: [] };
    g.values.push(Number(r.value));
    groups.set(k, g);
  }
  return [...groups.values()].map(({ key, values }) => {
    const s = meanInterval(values);
    return { ...key, mean: s.mean, std: s.std, ci_lo: s.ci[0], ci_hi: s.ci[1], n: s.n };
  });
}

/** Mean, std and 95% interval of `value` per group, as a DataFrame. */
export function summarizeRuns(df: pl.DataFrame, by: string[]): pl.DataFrame {
  return pl.DataFrame(groupSummaries(df.toRecords() as Record<string, unknown>[], by));
}
