import assert from "node:assert/strict";
import { compareRuns, compareRunsTo, runValues, selectRuns, summarize } from "../lib/stats/compare_runs.ts";
import type { RunRow } from "../lib/stats/aggregate.ts";
import { comparisonTable, finding, verdictPhrase } from "../lib/experiments/findings.ts";

const row = (text: string, split_seed: number, seed: number, value: number, metric = "acc"): RunRow =>
  ({ vision: "v", text, dataset: "d", split: "unseen", seed, split_seed, metric, value });

// a beats b by 0.01 + a run-specific offset shared by both (a hard split is hard for both)
const runs = [0, 1, 2].flatMap((s) => [0, 1].map((seed) => ({ s, seed, shared: 0.05 * s + 0.01 * seed })));
const rows: RunRow[] = runs.flatMap(({ s, seed, shared }) => [
  row("a", s, seed, 0.1 + shared + 0.01 + 0.001 * seed),
  row("b", s, seed, 0.1 + shared),
  row("a", s, seed, 0.9, "other"),
]);

Deno.test("summarize: mean, interval and n per group over the matching rows, fields as strings", () => {
  const s = summarize(rows, ["text"], { metric: "acc" });
  assert.deepEqual(s.map((g) => [g.text, g.n]), [["a", 6], ["b", 6]]);
  const bValues = runs.map((r) => 0.1 + r.shared);
  assert.ok(Math.abs(s[1].mean - bValues.reduce((x, y) => x + y) / 6) < 1e-12);
  assert.ok(s[1].ci_lo < s[1].mean && s[1].mean < s[1].ci_hi);
  assert.equal(summarize(rows, ["split_seed"], { text: "b", metric: "acc" })[2].split_seed, "2");
});

Deno.test("compareRuns: pairing removes the shared run variance; verdicts ahead / behind; errors name bad input", () => {
  const c = compareRuns(rows, { metric: "acc" }, { text: "a" }, { text: "b" });
  assert.equal(c.n, 6);
  assert.ok(Math.abs(c.mean - 100 * (0.01 + 0.0005)) < 1e-9, `mean ${c.mean}`);
  assert.equal(c.verdict, "ahead");
  assert.equal(c.wins, 1);
  assert.equal(compareRuns(rows, { metric: "acc" }, { text: "b" }, { text: "a" }).verdict, "behind");
  // the marginal intervals overlap (split variance), the paired one does not
  const [sa, sb] = summarize(rows, ["text"], { metric: "acc" });
  assert.ok(sa.ci_lo < sb.ci_hi, "marginal intervals overlap");
  assert.throws(() => compareRuns(rows, { metric: "acc" }, { text: "a" }, { text: "zzz" }), /no rows for .*zzz/);
  assert.throws(() => compareRuns(rows.slice(1), { metric: "acc" }, { text: "a" }, { text: "b" }), /runs not in both: split_seed=0\/seed=0/);
  assert.throws(() => runValues(rows, { text: "a" }), /appears twice/);
  assert.equal(selectRuns(rows, { text: "a", split_seed: 1 }).length, 4);
});

Deno.test("finding: the first kept paragraph carries the label; empty input is an error", () => {
  const md = finding([false, "One.", undefined, "Two."]).bundle["text/markdown"];
  assert.equal(md, "**Finding (this run).** One.\n\nTwo.");
  assert.throws(() => finding([null]), /no paragraph/);
});

Deno.test("compareRunsTo: a slice against a fixed value (a method with no seed)", () => {
  const c = compareRunsTo(rows, { metric: "acc" }, { text: "b" }, 0.1, "ASIF");
  const diffs = runs.map((r) => 100 * r.shared);
  assert.ok(Math.abs(c.mean - diffs.reduce((x, y) => x + y) / diffs.length) < 1e-9);
  assert.equal(c.b, "ASIF");
  assert.equal(c.verdict, "ahead");
  assert.equal(compareRunsTo(rows, { metric: "acc" }, { text: "b" }, 0.5, "high").verdict, "behind");
  assert.throws(() => compareRunsTo(rows, { metric: "acc" }, { text: "q" }, 0.1, "x"), /no rows/);
});

Deno.test("verdictPhrase: relation, signed difference and interval", () => {
  const c = compareRuns(rows, { metric: "acc" }, { text: "a" }, { text: "b" });
  assert.equal(verdictPhrase(c), `ahead of b (+${c.mean.toFixed(2)} [${c.ci[0].toFixed(2)}, ${c.ci[1].toFixed(2)}])`);
  const r = compareRuns(rows, { metric: "acc" }, { text: "b" }, { text: "a" });
  assert.match(verdictPhrase(r), /^behind a \(-1\.05 \[/);
});

Deno.test("compareRuns with a margin: equal slices are decided 'equivalent' in points; the phrase and table name the margin", () => {
  // c equals b plus a run-specific wobble of at most ±0.05 points
  const wobble = [0.0004, -0.0003, 0.0002, -0.0005, 0.0001, 0];
  const eq = [...rows, ...runs.map(({ s, seed, shared }, i) => row("c", s, seed, 0.1 + shared + wobble[i]))];
  const c = compareRuns(eq, { metric: "acc" }, { text: "c" }, { text: "b" }, { margin: 0.5 });
  assert.equal(c.verdict, "equivalent");
  assert.equal(c.margin, 0.5);
  assert.match(verdictPhrase(c), /^equivalent to b within ±0\.50 \(/);
  // the margin is in the scaled unit: 0.5 points is far narrower than a's 1-point lead
  assert.equal(compareRuns(eq, { metric: "acc" }, { text: "a" }, { text: "b" }, { margin: 0.5 }).verdict, "ahead");
  const tableRows = comparisonTable([c], "t").bundle["text/html"];
  assert.match(tableRows, /equivalent/);
  assert.match(tableRows, /margin/);
});
