/**
 * Cache keys cover every input that changes a result: each input is changed in turn and must miss the
 * cache (a new result file), the same inputs must hit it.
 */
import assert from "node:assert/strict";
import { cacheKey } from "../lib/core/hash.ts";
import { cachedProbingRun } from "../lib/experiments/probing.ts";
import { captionModel, type CaptionCorpus } from "../lib/experiments/captions.ts";
import { CAPTIONS_EMBEDDED } from "../lib/config.ts";
import { selectTfBackend } from "../lib/runtime/tf_backend.ts";
import type { Item } from "../lib/data/items.ts";
import { TOY_RUN, toyKeysContext } from "./fixtures/cached_probing_run.ts";

await selectTfBackend();

Deno.test("cacheKey: stable under key order, different for any changed value", async () => {
  const base = { v: 1, text: { name: "use-lite", version: "a" }, templates: ["a {}."], seed: 0 };
  assert.equal(await cacheKey(base), await cacheKey({ seed: 0, templates: ["a {}."], text: { version: "a", name: "use-lite" }, v: 1 }));
  const variants = [
    { ...base, text: { ...base.text, version: "b" } },
    { ...base, templates: ["an {}."] },
    { ...base, templates: ["a {}.", "a {}."] },
    { ...base, seed: 1 },
  ];
  const keys = new Set([await cacheKey(base), ...(await Promise.all(variants.map((v) => cacheKey(v))))]);
  assert.equal(keys.size, variants.length + 1);
});

async function withCache<T>(f: (dir: string) => Promise<T>): Promise<T> {
  const cache = await Deno.makeTempDir(), before = Deno.env.get("SHARELOCK_CACHE_DIR");
  Deno.env.set("SHARELOCK_CACHE_DIR", cache);
  try {
    return await f(cache);
  } finally {
    if (before === undefined) Deno.env.delete("SHARELOCK_CACHE_DIR");
    else Deno.env.set("SHARELOCK_CACHE_DIR", before);
    await Deno.remove(cache, { recursive: true });
  }
}

const count = (dir: string) => {
  try {
    return [...Deno.readDirSync(dir)].filter((e) => e.name.endsWith(".json")).length;
  } catch {
    return 0;
  }
};

Deno.test("cachedProbingRun: every input that changes the result misses the cache; the same inputs hit it", async () => {
  await withCache(async (cache) => {
    const dir = `${cache}/results/probing`;
    const base = toyKeysContext();
    const opts = TOY_RUN;
    assert.equal((await cachedProbingRun(base, opts)).cached, false);
    assert.equal(count(dir), 1);
    assert.equal((await cachedProbingRun(base, { ...opts, train: { ...opts.train, progress: false as const, label: "other label" } })).cached, true);
    assert.equal(count(dir), 1, "a label or progress sink does not change the result: a hit");
    const otherTexts = (f: (c: string) => string) => Object.fromEntries(Object.keys(base.texts.templates).map((c) => [c, [f(c)]]));
    const changes: [string, () => Promise<unknown>][] = [
      ["class texts (other templates)", () => cachedProbingRun({ ...base, texts: { ...base.texts, templates: otherTexts((c) => `an icon of a ${c}.`) } }, opts)],
      ["one class's texts", () => cachedProbingRun({ ...base, texts: { ...base.texts, templates: { ...base.texts.templates, u3: ["a sketch of a u3."] } } }, opts)],
      ["representation", () => cachedProbingRun(base, { ...opts, representation: "descriptions" })],
      ["language encoder", () => cachedProbingRun(base, { ...opts, text: "random-word" })],
      ["vision encoder identity", () => cachedProbingRun({ ...base, visionIdentity: { name: "toy", version: "2" } }, opts)],
      ["dataset version", () => cachedProbingRun({ ...base, dataset: { ...base.dataset, version: "2" } }, opts)],
      ["split", () => cachedProbingRun({ ...base, unseenClasses: base.unseenClasses.slice(1), seenClasses: [...base.seenClasses, base.unseenClasses[0]] }, opts)],
      ["seed", () => cachedProbingRun(base, { ...opts, seed: 1 })],
      ["training config", () => cachedProbingRun(base, { ...opts, train: { ...opts.train, lr: 2e-3 } })],
      ["logit scale", () => cachedProbingRun(base, { ...opts, train: { ...opts.train, logitScale: 10 } })],
    ];
    for (const [i, [what, run]] of changes.entries()) {
      await run();
      assert.equal(count(dir), i + 2, `changing the ${what} must miss the cache`);
    }
  });
});

Deno.test("captionModel: the key covers the resolved training config and the seed", async () => {
  await withCache(async () => {
    const names = ["red thing", "blue thing", "green thing"];
    const rows = 30, dim = 6;
    const item = (i: number): Item => ({ item_id: `t/${i}`, image_path: null, class_id: i % 3, class_name: names[i % 3], caption: names[i % 3], group: null, split: "all", source: "toy" });
    const corpus: CaptionCorpus = {
      config: { ...CAPTIONS_EMBEDDED.corpus, vision: "toy", captionSets: ["toy"], emoji: null },
      identity: { toy: "keys v1" },
      split: null,
      train: {
        items: Array.from({ length: rows }, (_, i) => item(i)),
        images: { data: Float32Array.from({ length: rows * dim }, (_, k) => ((Math.floor(k / dim) % 3) === k % dim ? 1 : 0.1)), rows, dim },
        captions: Array.from({ length: rows }, (_, i) => names[i % 3]),
        textsOf: Array.from({ length: rows }, (_, i) => [i]),
      },
      retrieval: { items: [], images: { data: new Float32Array(0), rows: 0, dim }, captions: [], textsOf: [] },
    };
    const train = { projection: { kind: "linear" as const }, maxSteps: 2, batchSize: 8, warmup: 1, progress: false as const };
    const a = await captionModel(corpus, { text: "lit-bag-of-words", seed: 0, train });
    assert.equal((await captionModel(corpus, { text: "lit-bag-of-words", seed: 0, train })).cached, true);
    const keys = new Set([a.key]);
    for (const other of [{ seed: 1, train }, { seed: 0, train: { ...train, logitScale: 10 } }, { seed: 0, train: { ...train, warmup: 2 } }]) {
      const m = await captionModel(corpus, { text: "lit-bag-of-words", ...other });
      assert.equal(m.cached, false);
      keys.add(m.key);
    }
    assert.equal(keys.size, 4);
  });
});
