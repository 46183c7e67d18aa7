/**
 * Finding cells from computed parts: paired verdicts as a table and as sentences, and the finding's
 * markdown, so that a notebook's finding cell lists what it compared instead of assembling prose.
 *
 * @example
 * ```ts
 * import { compareRuns } from "../stats/compare_runs.ts";
 * import type { RunRow } from "../stats/aggregate.ts";
 * declare const rows: RunRow[];
 * const c = compareRuns(rows, { metric: "top1" }, { text: "use-lite" }, { text: "word2vec-100d" });
 * comparisonTable([c], "Paired differences (points)");
 * finding([`USE-lite: ${verdictSentence(c)}.`, "Second paragraph."]);
 * ```
 */
import { type Displayable, markdown, table } from "../report/display.ts";
import { describeComparison, fixedDigits, relation } from "../stats/paired.ts";
import type { RunComparison } from "../stats/compare_runs.ts";

/** "a is ahead of b by 1.20 points [0.40, 2.00] over 10 paired runs". Pure. */
export function verdictSentence(c: RunComparison, unit = "points", digits = 2): string {
  return describeComparison(c.a, c.b, c, unit, digits);
}

/**
 * "ahead of B (+1.20 [0.40, 2.00])": the relation to b with the difference, for lists ("equivalent to B
 * within ±0.50 (...)" names the margin). Pure.
 */
export function verdictPhrase(c: RunComparison, digits = 2): string {
  const f = (x: number) => fixedDigits(x, digits);
  const within = c.verdict === "equivalent" ? ` within ±${f(c.margin!)}` : "";
  return `${relation(c.verdict)} ${c.b}${within} (${c.mean > 0 ? "+" : ""}${f(c.mean)} [${f(c.ci[0])}, ${f(c.ci[1])}])`;
}

/**
 * A comparison as a key figure: "1.20 [0.40, 2.00] ahead" (difference, 95% interval, verdict), the form
 * `parsePaired` (report/claims.ts) reads back for the README and docs/results.md. Pure.
 */
export function pairedFigure(c: Pick<RunComparison, "mean" | "ci" | "verdict">): string {
  return `${c.mean.toFixed(2)} [${c.ci[0].toFixed(2)}, ${c.ci[1].toFixed(2)}] ${c.verdict}`;
}

/** The comparisons as one table: difference, interval, verdict, share of runs won. */
export function comparisonTable(cs: readonly RunComparison[], caption: string, digits = 2): Displayable {
  return table(cs.map((c) => ({
    ...(cs.some((x) => x.scope) ? { measured_on: c.scope ?? "" } : {}),
    a: c.a, b: c.b, difference: c.mean, ci95: `[${c.ci[0].toFixed(digits)}, ${c.ci[1].toFixed(digits)}]`,
    verdict: c.verdict, ...(cs.some((x) => x.margin !== undefined) ? { margin: c.margin ?? null } : {}),
    a_wins_pct: 100 * c.wins, paired_runs: c.n,
  })), { caption, digits });
}

/** The finding cell's markdown: paragraphs (falsy ones dropped), the first led by "Finding (this run)." */
export function finding(paragraphs: readonly (string | false | null | undefined)[]): Displayable {
  const kept = paragraphs.filter((p): p is string => !!p);
  if (!kept.length) throw new Error("finding: no paragraph");
  return markdown([`**Finding (this run).** ${kept[0]}`, ...kept.slice(1)].join("\n\n"));
}

/**
 * Comparisons as key figures `<prefix>/<scope>/<a> - <b>` (the form every notebook records), in order.
 * Pure.
 */
export function comparisonFigures(prefix: string, cs: readonly RunComparison[]): Record<string, string> {
  return Object.fromEntries(cs.map((c) => [`${prefix}/${c.scope}/${c.a} - ${c.b}`, pairedFigure(c)]));
}
