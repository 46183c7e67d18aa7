import assert from "node:assert/strict";
import { ablationVariants, DEFAULT_MARK, defaultVariant, variantResults } from "../lib/experiments/ablations.ts";
import { rankEncodersOn, rankingColumns } from "../lib/experiments/caption_ranking.ts";
import { regressionLine, runsLabel } from "../lib/experiments/capability_report.ts";
import { comparisonFigures } from "../lib/experiments/findings.ts";
import type { CaptionGridRow } from "../lib/experiments/caption_grid.ts";

Deno.test("ablationVariants: every architecture, loss and temperature of one encoder; the default's temperature trains unchanged", () => {
  const v = ablationVariants({ architectures: { linear: { projection: { kind: "linear" } } }, losses: { sig: { loss: "siglip" } }, temperatures: [0.03, 0.07] }, "use-lite", {});
  assert.deepEqual(v.map((x) => [x.group, x.name]), [["architecture", "linear"], ["loss", "sig"], ["temperature", "τ = 0.03"], ["temperature", `τ = 0.07${DEFAULT_MARK}`]]);
  assert.ok(Math.abs(v[2].train!.logitScale! - 1 / 0.03) < 1e-9);
  assert.deepEqual(v[3].train, {}, "the default's settings, so its models are the default's own (same cache key)");
  assert.ok(v.every((x) => x.text === "use-lite"));
  // another base temperature moves the default
  assert.equal(ablationVariants({ architectures: {}, losses: {}, temperatures: [0.03, 0.07] }, "t", { logitScale: 1 / 0.03 })[0].name, `τ = 0.03${DEFAULT_MARK}`);
});

/** Rows of a toy ablation: run r of variant v has top-1 base + gain(v) + noise(r). */
function ablationRows(gains: Record<string, number>): CaptionGridRow[] {
  return Object.entries(gains).flatMap(([variant, gain]) => [0, 1, 2, 3].map((r) => ({
    vision: "v", text: "t", method: "ShareLock", dataset: "task", split: "unseen", seed: r, pairs: 10, metric: "top1",
    value: 0.3 + gain + [0.01, -0.02, 0.03, 0][r], variant, group: "temperature", split_seed: r, parameters: 100, steps: 5,
  })));
}

Deno.test("variantResults: means per variant and each variant against the default, paired over runs", () => {
  const list = variantResults(ablationRows({ [`a${DEFAULT_MARK}`]: 0, b: 0.05, c: 0 }), "temperature", ["task"]);
  assert.equal(defaultVariant(list).variant, `a${DEFAULT_MARK}`);
  const b = list.find((x) => x.variant === "b")!, c = list.find((x) => x.variant === "c")!;
  assert.ok(Math.abs(b.top1.task - 100 * (0.3 + 0.05 + 0.005)) < 1e-9, "the mean over the 4 runs, in %");
  assert.ok(Math.abs(b.vsDefault!.mean - 5) < 1e-9, "paired: the runs' noise cancels, 5 points");
  assert.equal(b.vsDefault!.verdict, "ahead");
  assert.equal(c.vsDefault!.mean, 0);
  assert.deepEqual(comparisonFigures("paired", [b.vsDefault!]), { "paired/temperature/b - a (default)": "5.00 [5.00, 5.00] ahead" });
});

Deno.test("rankEncodersOn: ranks per evaluation, then by mean rank; steps compared with the next encoder", () => {
  const row = (text: string, dataset: string, metric: string, seed: number, value: number) =>
    ({ vision: "v", text, dataset, split: "x", seed, split_seed: seed, metric, value });
  const cols = rankingColumns(["task"]);
  const rows = ["a", "b", "c"].flatMap((text, i) => [0, 1].flatMap((seed) => cols.map((c) => row(text, c.dataset, c.metric, seed, [0.5, 0.3, 0.1][i] + 0.01 * seed))));
  rows.push(...["a", "b", "c"].flatMap((text) => [0, 1].map((seed) => row(text, "training", "best_val_loss", seed, 1))));
  const r = rankEncodersOn(rows, ["c", "b", "a"], cols);
  assert.deepEqual(r.order, ["a", "b", "c"]);
  assert.deepEqual(r.board.map((b) => b.mean_rank), [1, 2, 3]);
  assert.equal(r.comparisons.length, 2 * cols.length, "each step on every evaluation");
  assert.ok(r.comparisons.every((c) => c.verdict === "ahead" && Math.abs(c.mean - 20) < 1e-9));
});

Deno.test("regressionLine: the least-squares line's ends over the x range; runsLabel pluralises", () => {
  assert.deepEqual(regressionLine([[0, 1], [1, 3], [2, 5]]), [{ x: 0, y: 1 }, { x: 2, y: 5 }]);
  assert.equal(runsLabel(5, 2), "5 splits x 2 seeds");
  assert.equal(runsLabel(1, 5), "1 split x 5 seeds");
});
