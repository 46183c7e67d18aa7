import assert from "node:assert/strict";
import { captionModel } from "../lib/experiments/captions.ts";
import { evaluateCaptionModelByStratum } from "../lib/experiments/caption_eval.ts";
import { captionGrid, gridJobs } from "../lib/experiments/caption_grid.ts";
import { allOf, byStratum, trainingLoss } from "../lib/experiments/caption_evaluations.ts";
import type { CaptionNotebookSetup, CaptionSplit } from "../lib/experiments/caption_setup.ts";
import { captionRuns } from "../lib/experiments/caption_runs.ts";
import { cacheLedger } from "../lib/report/cache_report.ts";
import { selectTfBackend } from "../lib/runtime/tf_backend.ts";
import { toyCaptionWorld } from "./fixtures/toy_captions.ts";

await selectTfBackend();

/** A toy caption world of 8 classes as one split (`tests/fixtures/toy_captions.ts`). */
function toySplit(splitSeed: number): CaptionSplit {
  const { corpus, task } = toyCaptionWorld({ seed: 11, classes: 8, dim: 12, perClass: 20, testPerClass: 6, shades: 3, retrieval: false });
  return { splitSeed, corpus, tasks: [task] };
}

/** The parts of a notebook set-up a grid uses, over two toy splits. */
function toySetup(): CaptionNotebookSetup {
  const splits = new Map([0, 1].map((s) => [s, toySplit(s)]));
  return { corpus: splits.get(0)!.corpus, tasks: splits.get(0)!.tasks, splits, of: (run) => splits.get(run.splitSeed)! } as CaptionNotebookSetup;
}

const TRAIN = {
  projection: { kind: "linear" as const }, batchSize: 32, maxSteps: 40, warmup: 4, lr: 1e-2, evalEvery: 10, patience: 100, minDelta: 0,
};

Deno.test("captionGrid: each (variant, run) equals its model trained alone and evaluated, rows in grid order with their tags; a second grid reads the cache", async () => {
  const cache = await Deno.makeTempDir(), before = Deno.env.get("SHARELOCK_CACHE_DIR");
  Deno.env.set("SHARELOCK_CACHE_DIR", cache);
  try {
    const setup = toySetup(), runs = captionRuns([0, 1], [0, 1]), templates = ["{}"];
    const variants = [
      { name: "default", text: "lit-bag-of-words", method: "LiT" },
      { name: "scale 5", text: "lit-bag-of-words", train: { logitScale: 5 }, group: "temperature" },
    ];
    const ledger = cacheLedger();
    const evaluate = allOf(byStratum(templates, { retrieval: false }), trainingLoss());
    const grid = await captionGrid(setup, { variants, runs, train: TRAIN, evaluate, ledger, tags: { protocol: "toy" } });
    assert.deepEqual({ fromCache: ledger.fromCache, computed: ledger.computed }, { fromCache: 0, computed: 4 });
    // grid order: variant by variant, run by run; each model's rows as its evaluation returns them
    assert.deepEqual([...new Set(grid.rows.map((r) => `${r.variant}/${r.split_seed}`))], ["default/0", "default/1", "scale 5/0", "scale 5/1"]);
    for (const [k, { variant, run }] of gridJobs({ variants, runs }).entries()) {
      const alone = await captionModel(setup.of(run).corpus, { text: variant.text, seed: run.seed, train: { ...TRAIN, ...variant.train, progress: false } });
      assert.equal(alone.cached, true, "the grid stored it under the key a single run has");
      const ev = await evaluateCaptionModelByStratum(alone, setup.of(run).corpus, setup.of(run).tasks, { templates, method: "x", retrieval: false });
      const mine = grid.rows.filter((r) => r.variant === variant.name && r.split_seed === run.splitSeed);
      assert.deepEqual(mine.filter((r) => r.dataset === "toy").map((r) => [r.metric, r.value]), ev.rows.map((r) => [r.metric, r.value]), `job ${k}`);
      assert.equal(mine.find((r) => r.metric === "best_val_loss")?.value, alone.bestValLoss);
      for (const r of mine) {
        assert.equal(r.method, variant.method ?? "LiT-style", "a variant's method label, else the evaluation's");
        assert.equal(r.group, variant.group ?? "");
        assert.equal(r.protocol, "toy");
        assert.equal(r.seed, run.seed);
        assert.equal(r.steps, alone.steps);
      }
      alone.projection.dispose();
    }
    assert.ok(grid.strata.length > 0 && grid.strata.every((r) => r.variant && r.protocol === "toy"));
    const again = cacheLedger();
    const second = await captionGrid(setup, { variants, runs, train: TRAIN, evaluate, ledger: again, tags: { protocol: "toy" } });
    assert.deepEqual({ fromCache: again.fromCache, computed: again.computed }, { fromCache: 4, computed: 0 });
    assert.deepEqual(second.rows, grid.rows);
  } finally {
    if (before === undefined) Deno.env.delete("SHARELOCK_CACHE_DIR");
    else Deno.env.set("SHARELOCK_CACHE_DIR", before);
    await Deno.remove(cache, { recursive: true });
  }
});

Deno.test("gridJobs: a variant's own runs replace the grid's; repeated names and no runs are refused", () => {
  const runs = captionRuns([0, 1], [0, 1]);
  const jobs = gridJobs({ variants: [{ name: "a", text: "t" }, { name: "b", text: "t", runs: runs.slice(0, 1) }], runs });
  assert.deepEqual(jobs.map((j) => `${j.variant.name}/${j.run.seed}`), ["a/0", "a/1", "b/0"]);
  assert.throws(() => gridJobs({ variants: [{ name: "a", text: "t" }, { name: "a", text: "u" }], runs }), /unique; repeated: a/);
  assert.throws(() => gridJobs({ variants: [{ name: "a", text: "t" }], runs: [] }), /no runs/);
});
