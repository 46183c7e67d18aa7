import assert from "node:assert/strict";
import { type EncoderSource, problemsByName, scoreEncoders, scoreLanguageEncoder } from "../lib/experiments/encoder_score.ts";
import { compareEncoderScores, describeRanking, rankByRuns, rankEncoders } from "../lib/experiments/leaderboard.ts";
import { type ProbingContext, type ProbingResult, probingRuns } from "../lib/experiments/probing.ts";
import type { ClassificationMetrics } from "../lib/eval/metrics.ts";
import { pairedComparison } from "../lib/stats/paired.ts";
import { loadWordNet } from "../lib/data/wordnet.ts";
import { seededRandom } from "../lib/runtime/random.ts";
import { selectTfBackend } from "../lib/runtime/tf_backend.ts";
import type { EncoderIdentity, LanguageEncoder } from "../lib/encoders/types.ts";
import { toyItems, toyPairs, toyProbingContext } from "./fixtures/toy.ts";

await selectTfBackend();

/**
 * The toy world as a probing context (classes c0..c29 seen, u0..u9 unseen, one text per class: its name),
 * and three encoders of its class names: `good` gives each class its true text view, `noisy` the same
 * plus heavy noise, `bad` a random vector per class. Any other text gets a random vector (so the
 * capability tasks run, at chance).
 */
function toyWorld() {
  const w = toyPairs({ seed: 21, perClass: 6 });
  const { items, images } = toyItems(w);
  const dim = w.seen.texts.dim;
  const truth = new Map<string, Float32Array>();
  for (let c = 0; c < 30; c++) truth.set(`c${c}`, w.seen.texts.data.slice(c * 3 * dim, (c * 3 + 1) * dim));
  for (let u = 0; u < 10; u++) truth.set(`u${u}`, w.unseen.texts.data.slice(u * 3 * dim, (u * 3 + 1) * dim));
  const classes = [...truth.keys()];
  const random = (name: string, text: string) => {
    const rng = seededRandom(`${name}|${text}`);
    return Float32Array.from({ length: dim }, () => rng.normal());
  };
  const encoder = (name: string, vec: (text: string) => Float32Array): LanguageEncoder => {
    const identity: EncoderIdentity = { kind: "text", name, model: "toy", version: "1", pooling: "-", dtype: "fp32", preprocessing: "-", dim };
    return { identity, embed: (ts) => Promise.resolve(ts.map(vec)), dispose() {} };
  };
  const encoders: Record<string, LanguageEncoder> = {
    good: encoder("good", (t) => truth.get(t) ?? random("good", t)),
    noisy: encoder("noisy", (t) => {
      const v = truth.get(t), r = random("noisy", t);
      return v ? v.map((x, i) => 0.5 * x + 2.5 * r[i]) : r;
    }),
    bad: encoder("bad", (t) => random("bad", t)),
  };
  const texts = Object.fromEntries(classes.map((c) => [c, [c]]));
  const ctx = toyProbingContext({ name: "toy-leaderboard", items, images, classes, templates: texts });
  return { ctx, encoders };
}

const train = { maxSteps: 150, batchSize: 64, warmup: 10, lr: 1e-2, evalEvery: 10, patience: 100, minDelta: 0, progress: false as const };

Deno.test("scoreEncoders on a toy world: good > noisy > bad, separated; a model the preflight rejects and one that fails are rows with reasons", async () => {
  const { ctx, encoders } = toyWorld();
  const opened: string[] = [];
  const open = (name: string) => {
    opened.push(name);
    const enc = encoders[name];
    return enc ? Promise.resolve(enc) : Promise.reject(new Error(`no toy encoder "${name}"\nsecond line`));
  };
  const grids: string[] = [];
  const source: EncoderSource = {
    open,
    // the runs as one grid (probingRuns batches runs of a shape), as the registry's source trains them
    probeRuns: async (runs, label) => {
      grids.push(label);
      return probingRuns(await Promise.all(runs.map(async ({ name, ...run }) => ({ ...run, text: await open(name) }))));
    },
    problems: (_c, names) => Promise.resolve(Object.fromEntries(names.filter((n) => n.startsWith("hf:")).map((n) => [n, "not downloaded (fix: place it)"]))),
  };
  const steps: string[] = [];
  const rows = await scoreEncoders(ctx, ["bad", "hf:example-org/not-downloaded", "good", "broken", "noisy"], {
    seeds: [0, 1, 2], train, wordnet: await loadWordNet(), capabilityItems: 60, alignment: { k: 5, resamples: 50 }, source, onStep: (s) => steps.push(s),
  });
  assert.deepEqual(rows.map((r) => [r.name, r.ok]), [["bad", true], ["hf:example-org/not-downloaded", false], ["good", true], ["broken", false], ["noisy", true]]);
  const failed = Object.fromEntries(rows.flatMap((r) => (r.ok ? [] : [[r.name, r.reason]])));
  assert.equal(failed["hf:example-org/not-downloaded"], "not downloaded (fix: place it)");
  assert.equal(failed.broken, 'failed while scoring: no toy encoder "broken"');
  assert.ok(!opened.includes("hf:example-org/not-downloaded"), "a model the preflight rejects is never opened");
  // capability and alignment for each scored encoder; the runs as one grid of every encoder, which fails
  // ("broken" cannot open), then each encoder's grid on its own
  assert.deepEqual(steps.filter((s) => s.startsWith("good ")), ["good capability", "good alignment"]);
  assert.deepEqual(grids, ["probing runs of 4 encoders", "bad: 3 probing runs", "good: 3 probing runs", "broken: 3 probing runs", "noisy: 3 probing runs"]);

  const scores = rows.flatMap((r) => (r.ok ? [r.score] : []));
  const by = Object.fromEntries(scores.map((s) => [s.name, s]));
  assert.deepEqual(Object.keys(by.good.visual.perRun), ["split0/seed0", "split0/seed1", "split0/seed2"]);
  // the mean and interval are those of the per-run values
  const g = Object.values(by.good.visual.perRun);
  assert.ok(Math.abs(by.good.visual.mean - g.reduce((a, b) => a + b) / g.length) < 1e-12);
  assert.ok(by.good.visual.ci[0] <= by.good.visual.mean && by.good.visual.mean <= by.good.visual.ci[1]);
  assert.ok(by.good.visual.mean > 0.5, `good ${by.good.visual.mean} (chance 0.1)`);
  assert.ok(by.bad.visual.mean < 0.3, `bad ${by.bad.visual.mean}`);
  // training-free alignment follows the construction too; capability is chance for all (no word knowledge)
  assert.ok(by.good.alignment.mutualKnn.value > by.bad.alignment.mutualKnn.value);
  assert.ok(by.good.alignment.unbiasedCka.value > by.bad.alignment.unbiasedCka.value);
  for (const s of scores) assert.ok(s.capability.low <= 0.2 && 0.2 <= s.capability.high, `${s.name} capability ${s.capability.accuracy}`);

  const ranked = rankEncoders(scores);
  assert.deepEqual(ranked.map((r) => r.name), ["good", "noisy", "bad"]);
  assert.deepEqual(ranked.map((r) => r.rank), [1, 2, 3]);
  assert.equal(ranked[0].vsNext?.verdict, "ahead", `good vs noisy: ${JSON.stringify(ranked[0].vsNext)}`);
  assert.equal(ranked[0].rankRange[0], 1);
  assert.equal(ranked.at(-1)!.vsNext, undefined);
});

Deno.test("scoreLanguageEncoder over several splits: runs are splits x seeds, with the style shift when the probe gives one", async () => {
  const { ctx, encoders } = toyWorld();
  const other: ProbingContext = { ...ctx, split: { ...ctx.split, seed: 7 } };
  const metrics = (v: number): ClassificationMetrics => ({ top1: v, topk: v, k: 5, meanPerClassRecall: v, perClassRecall: [], perClassTopk: [], n: 1 });
  // a fake probe whose value encodes split and seed, so the expected figures are known
  const value = (split: number, seed: number) => 0.1 * split + 0.01 * seed;
  const source: EncoderSource = {
    open: (name) => Promise.resolve(encoders[name]),
    probeRuns: (runs) => Promise.resolve(runs.map((o) => ({ text: o.name, representation: o.representation, seed: o.seed, unseen: metrics(value(o.ctx.split.seed, o.seed)), seen: metrics(1),
      styleShift: metrics(value(o.ctx.split.seed, o.seed) / 2), unseenClasses: 10, trainSeconds: 0, steps: 0, cached: false } satisfies ProbingResult))),
    problems: () => Promise.resolve({}),
  };
  const opts = { seeds: [0, 1, 2], wordnet: await loadWordNet(), capabilityItems: 20, alignment: { k: 3, resamples: 10 }, source };
  const s = await scoreLanguageEncoder([ctx, other], "good", opts);
  assert.deepEqual(Object.keys(s.visual.perRun), ["split0/seed0", "split0/seed1", "split0/seed2", "split7/seed0", "split7/seed1", "split7/seed2"]);
  assert.ok(Math.abs(s.visual.mean - (0 + 0.01 + 0.02 + 0.7 + 0.71 + 0.72) / 6) < 1e-12);
  assert.ok(Math.abs(s.styleShift!.mean - s.visual.mean / 2) < 1e-12);
  assert.equal(s.styleShift!.perRun["split7/seed1"], value(7, 1) / 2);
  await assert.rejects(() => scoreLanguageEncoder([ctx, ctx], "good", opts), /two contexts have split seed 0/);
});

Deno.test("rankByRuns: rank intervals and neighbour verdicts from paired comparisons over shared runs", () => {
  const runs = (values: number[]) => Object.fromEntries(values.map((v, i) => [`split${i % 2}/seed${i}`, v]));
  const entry = (name: string, values: number[]) => ({ name, mean: values.reduce((a, b) => a + b) / values.length, perRun: runs(values) });
  const a = entry("a", [10, 11, 12, 13]);
  const b = entry("b", [5, 6.2, 7, 8.1]); // about 5 below a in every run
  const c = entry("c", [5.3, 5.9, 7.2, 7.7]); // b plus or minus a few tenths
  const ranked = rankByRuns([c, a, b]);
  assert.deepEqual(ranked.map((r) => r.name), ["a", "b", "c"]);
  // independent: a - b diffs 5, 4.8, 5, 4.9 all positive, tight -> ahead; b - c diffs -0.3, 0.3, -0.2, 0.4 -> within noise
  assert.equal(ranked[0].vsNext?.verdict, "ahead");
  assert.ok(Math.abs(ranked[0].vsNext!.mean - (5 + 4.8 + 5 + 4.9) / 4) < 1e-12);
  assert.deepEqual(ranked[0].vsNext, pairedComparison(a.perRun, b.perRun));
  assert.equal(ranked[1].vsNext?.verdict, "within noise");
  assert.deepEqual(ranked.map((r) => r.rankRange), [[1, 1], [2, 3], [2, 3]]);
  assert.deepEqual(ranked.map((r) => r.separatedFromNext), [true, false, false]);
  assert.equal(describeRanking(ranked), "a > b ≈ c");
  // runs not shared are left out of the pairing; under two shared runs there is no verdict
  const d = { name: "d", mean: 1, perRun: { "split9/seed0": 1 } };
  const withD = rankByRuns([a, d]);
  assert.equal(withD[0].vsNext, undefined);
  assert.deepEqual(withD.map((r) => r.rankRange), [[1, 2], [1, 2]]);
});

Deno.test("compareEncoderScores: a minus b in points over the shared runs, named for the tables", () => {
  const score = (name: string, perRun: Record<string, number>) => ({ name, visual: { mean: 0, ci: [0, 0] as [number, number], perRun } });
  const a = score("big", { "split0/seed0": 0.030, "split1/seed1": 0.025, "split2/seed2": 0.028, "split3/seed3": 0.5 });
  const b = score("small", { "split0/seed0": 0.020, "split1/seed1": 0.016, "split2/seed2": 0.017 });
  const c = compareEncoderScores(a, b, "ladder");
  // independent: differences 1.0, 0.9, 1.1 points on the three shared runs (split3 is a's alone)
  assert.equal(c.n, 3);
  assert.ok(Math.abs(c.mean - 1.0) < 1e-9);
  assert.equal(c.verdict, "ahead");
  assert.deepEqual([c.a, c.b, c.scope], ["big", "small", "ladder"]);
  assert.equal(compareEncoderScores(b, a).verdict, "behind");
  assert.throws(() => compareEncoderScores(a, score("other", { "split9/seed0": 0.1 })), /big and other share fewer than 2 runs/);
});

Deno.test("problemsByName attributes preflight lines to the names they are about", () => {
  const lines = [
    "language encoder word2vec-pca-25: cannot load",
    "language encoder hf:org/m: not downloaded (fix: fetch it)",
    "vision encoder mobilenet-v2: broken",
  ];
  assert.deepEqual(problemsByName(lines, ["word2vec-pca-2", "word2vec-pca-25", "hf:org/m", "use-lite"]), {
    "word2vec-pca-25": "cannot load",
    "hf:org/m": "not downloaded (fix: fetch it)",
  });
});
