import assert from "node:assert/strict";
import { cachedProbingRun, probingAsif, probingRun } from "../lib/experiments/probing.ts";
import { selectTfBackend } from "../lib/runtime/tf_backend.ts";
import type { EncoderIdentity, LanguageEncoder } from "../lib/encoders/types.ts";
import { toyItems, toyPairs, toyProbingContext } from "./fixtures/toy.ts";
import { selectRows } from "../lib/core/matrix.ts";

await selectTfBackend();

/** A probing context over the toy world: classes c0..c29 seen, u0..u9 unseen, one text per class. */
function toyContext(randomText = false) {
  const w = toyPairs({ seed: 21, perClass: 6, randomText });
  const nSeen = 30, per = 6;
  const { items, images } = toyItems(w);
  // each class's text is "name", embedded as the toy world's first text vector of that class
  const vec = new Map<string, Float32Array>();
  for (let c = 0; c < nSeen; c++) vec.set(`c${c}`, w.seen.texts.data.slice(c * 3 * w.seen.texts.dim, (c * 3 + 1) * w.seen.texts.dim));
  for (let u = 0; u < 10; u++) vec.set(`u${u}`, w.unseen.texts.data.slice(u * 3 * w.unseen.texts.dim, (u * 3 + 1) * w.unseen.texts.dim));
  const identity: EncoderIdentity = { kind: "text", name: `toy-${randomText}`, model: "toy", version: "1", pooling: "-", dtype: "fp32", preprocessing: "-", dim: w.seen.texts.dim };
  const enc: LanguageEncoder = { identity, embed: (ts) => Promise.resolve(ts.map((t) => vec.get(t)!)), dispose() {} };
  const classes = [...vec.keys()];
  const texts = Object.fromEntries(classes.map((c) => [c, [c]]));
  const ctx = toyProbingContext({ name: `toy-${randomText}`, items, images, classes, templates: texts });
  assert.equal(per * 40, items.length);
  return { ctx, enc };
}

const train = { maxSteps: 150, batchSize: 64, warmup: 10, lr: 1e-2, evalEvery: 10, patience: 100, minDelta: 0, progress: false as const };

Deno.test("probingRun: trained on seen classes only, well above chance on unseen ones; a random control is not", async () => {
  const real = toyContext(false), rnd = toyContext(true);
  const r = await probingRun(real.ctx, { text: real.enc, representation: "templates", seed: 0, train });
  assert.equal(r.unseenClasses, 10);
  assert.ok(r.unseen.meanPerClassRecall > 0.6, `unseen ${r.unseen.meanPerClassRecall} (chance 0.1)`);
  const c = await probingRun(rnd.ctx, { text: rnd.enc, representation: "templates", seed: 0, train });
  assert.ok(c.unseen.meanPerClassRecall < 0.35, `random texts ${c.unseen.meanPerClassRecall}`);
  await assert.rejects(() => probingRun(real.ctx, { text: real.enc, representation: "descriptions", seed: 0, train }), /only 0 unseen classes have descriptions/);
});

Deno.test("probingAsif equals a hand computation of ASIF (relative representations over seen anchors)", async () => {
  const { ctx, enc } = toyContext(false);
  const k = 50, p = 2;
  const m = await probingAsif(ctx, { text: enc, representation: "templates", k, p });
  // independent computation in plain numbers: cosine to every anchor, keep the k largest (and > 0), ^p, normalise
  const vec = (x: ArrayLike<number>) => Array.from(x);
  const unit = (v: number[]) => {
    const n = Math.hypot(...v);
    return n > 0 ? v.map((x) => x / n) : v;
  };
  const dot = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i], 0);
  const row = (r: number) => vec(ctx.images.data.subarray(r * ctx.images.dim, (r + 1) * ctx.images.dim));
  const anchorRows = ctx.items.map((it, i) => (ctx.split.seen.has(it.class_name) ? i : -1)).filter((i) => i >= 0);
  const anchorImages = anchorRows.map((r) => unit(row(r)));
  const anchorTexts = (await enc.embed(anchorRows.map((r) => ctx.texts.templates[ctx.items[r].class_name][0]))).map((v) => unit(vec(v)));
  const relrep = (q: number[], anchors: number[][]) => {
    const s = anchors.map((a) => dot(unit(q), a));
    const threshold = [...s].sort((a, b) => b - a)[k - 1];
    return unit(s.map((x) => (x >= threshold && x > 0 ? x ** p : 0)));
  };
  const unseen = ctx.unseenClasses;
  const protos = (await enc.embed(unseen.map((c) => ctx.texts.templates[c][0]))).map((v) => relrep(vec(v), anchorTexts));
  const testRows = ctx.items.map((it, i) => (ctx.split.unseen.has(it.class_name) ? i : -1)).filter((i) => i >= 0);
  let hits = 0;
  for (const r of testRows) {
    const q = relrep(row(r), anchorImages);
    const scores = protos.map((pr) => dot(q, pr));
    if (scores.indexOf(Math.max(...scores)) === unseen.indexOf(ctx.items[r].class_name)) hits++;
  }
  assert.equal(m.n, testRows.length);
  assert.ok(Math.abs(m.top1 - hits / testRows.length) < 1e-12, `probingAsif top-1 ${m.top1}, by hand ${hits / testRows.length}`);
  assert.ok(m.top1 > 0.3, `ASIF with informative texts is well above chance (0.1): ${m.top1}`);
});

Deno.test("cachedProbingRun returns the stored result for the same key", async () => {
  const { ctx } = toyContext(false);
  const cache = await Deno.makeTempDir();
  Deno.env.set("SHARELOCK_CACHE_DIR", cache);
  try {
    const run = () => cachedProbingRun({ ...ctx, dataset: { ...ctx.dataset, name: "toy-cache" } }, { text: "random-text", representation: "templates", seed: 1, train: { ...train, maxSteps: 20 } });
    const a = await run();
    const dir = `${cache}/results/probing`;
    const files = [...Deno.readDirSync(dir)].map((e) => `${dir}/${e.name}`);
    assert.equal(files.length, 1);
    // mark the stored result: a second call must return the mark, i.e. not train again
    const stored = JSON.parse(Deno.readTextFileSync(files[0]));
    stored.value.steps = -7;
    Deno.writeTextFileSync(files[0], JSON.stringify(stored));
    const b = await run();
    assert.equal(b.steps, -7);
    assert.deepEqual(b.unseen.top1, a.unseen.top1);
  } finally {
    Deno.env.delete("SHARELOCK_CACHE_DIR");
  }
});

Deno.test("probingRun with a held-out style: the style-shift test uses the held-out images only, and equals the in-style test when they are the same images", async () => {
  const { ctx, enc } = toyContext(false);
  const unseenRows = ctx.items.map((it, i) => (ctx.split.unseen.has(it.class_name) ? i : -1)).filter((i) => i >= 0);
  const same = { ...ctx, heldOut: { style: "toy-copy", items: unseenRows.map((i) => ctx.items[i]), images: selectRows(ctx.images, unseenRows) } };
  const a = await probingRun(same, { text: enc, representation: "templates", seed: 0, train });
  assert.deepEqual(a.styleShift, a.unseen);
  // held-out images replaced by noise: the style-shift score falls towards chance while the in-style score is unchanged
  const noise = new Float32Array(unseenRows.length * ctx.images.dim).map((_, i) => Math.sin(i * 12.9898) * 0.5);
  const shifted = { ...same, heldOut: { ...same.heldOut, images: { data: noise, rows: unseenRows.length, dim: ctx.images.dim } } };
  const b = await probingRun(shifted, { text: enc, representation: "templates", seed: 0, train });
  assert.deepEqual(b.unseen, a.unseen);
  assert.equal(b.styleShift!.n, unseenRows.length);
  assert.ok(b.styleShift!.meanPerClassRecall < 0.35, `noise images ${b.styleShift!.meanPerClassRecall} (chance 0.1)`);
  assert.equal((await probingRun(ctx, { text: enc, representation: "templates", seed: 0, train })).styleShift, undefined);
});
