/**
 * Typed views of a notebook's run rows: summaries per group (mean and 95% interval over runs) and paired
 * comparisons between two slices of the rows measured on the same runs (same split seed and seed), so
 * that a finding cell states computed verdicts instead of eyeballing overlapping intervals.
 *
 * @example
 * ```ts
 * import type { RunRow } from "./aggregate.ts";
 * const rows: RunRow[] = [0, 1, 2].flatMap((seed) => [
 *   { vision: "v", text: "use-lite", dataset: "d", split: "unseen", seed, split_seed: 0, metric: "top1", value: 0.04 + seed * 0.001 },
 *   { vision: "v", text: "random-text", dataset: "d", split: "unseen", seed, split_seed: 0, metric: "top1", value: 0.003 },
 * ]);
 * const s = summarize(rows, ["text"], { metric: "top1" });   // [{ text: "use-lite", mean: 0.041, ... }, ...]
 * const c = compareRuns(rows, { metric: "top1" }, { text: "use-lite" }, { text: "random-text" });
 * console.log(s[0].text, c.verdict);   // "use-lite" "ahead"
 * ```
 */
import { type GroupSummary, groupSummaries, type RunRow } from "./aggregate.ts";
import { type PairedComparison, pairedComparison } from "./paired.ts";

/** Field values that select rows: every field must equal its value. */
export type Where = Record<string, string | number>;

/** The rows whose fields equal `where`'s values. Pure. */
export function selectRuns(rows: readonly RunRow[], where: Where): RunRow[] {
  const keys = Object.keys(where);
  return rows.filter((r) => keys.every((k) => r[k] === where[k]));
}

/**
 * Mean, std and 95% interval of `value` per group of `by` fields (as strings), over the rows matching
 * `where`; groups in order of first appearance. Pure.
 */
export function summarize<K extends string>(rows: readonly RunRow[], by: readonly K[], where: Where = {}): (Record<K, string> & GroupSummary)[] {
  return groupSummaries(selectRuns(rows, where), by).map((g) => ({ ...g, ...Object.fromEntries(by.map((b) => [b, String(g[b])])) } as Record<K, string> & GroupSummary));
}

/** A paired comparison between two named slices of the runs. */
export interface RunComparison extends PairedComparison {
  /** The slices' names (their `where` values joined). */
  a: string;
  b: string;
  /** What both were measured on (`CompareOptions.scope`), e.g. the test set. */
  scope?: string;
}

/** Options of {@link compareRuns}. */
export interface CompareOptions {
  /** Fields that name a run; the two slices are paired on them (default split seed and seed). */
  pairBy?: readonly string[];
  /** Multiply values (default 100: fractions become percentage points). */
  scale?: number;
  /** A label for what both slices were measured on, kept on the result. */
  scope?: string;
  /**
   * Equivalence margin in the scaled unit (points by default): an interval inside (-margin, +margin)
   * is the verdict "equivalent" instead of "within noise". State it before looking at the result.
   */
  margin?: number;
}

/** The values of one slice by run name; an error names a run measured twice. Pure. */
export function runValues(rows: readonly RunRow[], where: Where, pairBy: readonly string[] = ["split_seed", "seed"], scale = 1): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of selectRuns(rows, where)) {
    const run = pairBy.map((f) => `${f}=${r[f] ?? "-"}`).join("/");
    if (run in out) throw new Error(`runValues: run ${run} appears twice for ${JSON.stringify(where)}: add the field that tells them apart`);
    out[run] = scale * r.value;
  }
  return out;
}

/**
 * Slice `a` minus slice `b` (each `common` plus its own fields), run by run: mean difference with its
 * 95% interval and the verdict ahead / behind / within noise. Errors name runs present in only one slice
 * or a slice with no rows. Pure.
 */
export function compareRuns(rows: readonly RunRow[], common: Where, a: Where, b: Where, opts: CompareOptions = {}): RunComparison {
  const scale = opts.scale ?? 100;
  const va = runValues(rows, { ...common, ...a }, opts.pairBy, scale), vb = runValues(rows, { ...common, ...b }, opts.pairBy, scale);
  const name = (w: Where) => Object.values(w).join(" / ");
  for (const [w, v] of [[a, va], [b, vb]] as const) {
    if (!Object.keys(v).length) throw new Error(`compareRuns: no rows for ${JSON.stringify({ ...common, ...w })}`);
  }
  return { a: name(a), b: name(b), scope: opts.scope, ...pairedComparison(va, vb, opts.margin) };
}

/**
 * Slice `a` against a fixed value (a method with no seed, such as training-free ASIF): the mean of
 * a - value over a's runs with its 95% interval and verdict. `b` names the value. Pure.
 */
export function compareRunsTo(rows: readonly RunRow[], common: Where, a: Where, value: number, b: string, opts: CompareOptions = {}): RunComparison {
  const scale = opts.scale ?? 100;
  const va = runValues(rows, { ...common, ...a }, opts.pairBy, scale);
  if (!Object.keys(va).length) throw new Error(`compareRunsTo: no rows for ${JSON.stringify({ ...common, ...a })}`);
  const fixed = Object.fromEntries(Object.keys(va).map((k) => [k, scale * value]));
  return { a: Object.values(a).join(" / "), b, scope: opts.scope, ...pairedComparison(va, fixed, opts.margin) };
}
