import assert from "node:assert/strict";
import { capabilityScore, choiceAccuracy, glossChoiceItems, hypernymChoiceItems, shareWordForm, stem } from "../lib/experiments/language_tasks.ts";
import { loadWordNet } from "../lib/data/wordnet.ts";
import { randomTextEncoder } from "../lib/encoders/text/random_text.ts";
import { useLiteEncoder } from "../lib/encoders/vision/tfjs_models.ts";
import { selectTfBackend } from "../lib/runtime/tf_backend.ts";

Deno.test("word forms: plurals and verb forms are one word; other words are not", () => {
  for (const [a, b] of [["cats", "cat"], ["dances", "danced"], ["berries", "berry"], ["dance", "dancing"]]) assert.equal(stem(a), stem(b), `${a} ~ ${b}`);
  assert.ok(shareWordForm("a small domestic cat", "Cats"));
  assert.ok(!shareWordForm("a small domestic feline", "dog"));
});

const wn = await loadWordNet();
await selectTfBackend(); // scores are cosine similarities through TF.js, as in all evaluation

Deno.test("capability items: no candidate shares a word form with its query or with another candidate", () => {
  for (const items of [glossChoiceItems(wn, { n: 300 }), hypernymChoiceItems(wn, { n: 300 })]) {
    assert.equal(items.length, 300);
    const positions = new Set(items.map((it) => it.answer));
    assert.equal(positions.size, 5, "the answer stands at every position");
    for (const it of items) {
      assert.equal(it.candidates.length, 5);
      for (const c of it.candidates) assert.ok(!shareWordForm(it.query, c), `"${it.query}" shares a word with "${c}"`);
      it.candidates.forEach((c, i) => it.candidates.slice(i + 1).forEach((d) => assert.ok(!shareWordForm(c, d), `${c} ~ ${d}`)));
    }
  }
  assert.deepEqual(glossChoiceItems(wn, { n: 20, seed: 3 }), glossChoiceItems(wn, { n: 20, seed: 3 }), "seeded");
  const h = hypernymChoiceItems(wn, { n: 50 });
  for (const it of h) assert.equal(wn.describe(it.query)?.hypernym, it.candidates[it.answer], "the answer is the WordNet hypernym");
});

Deno.test("capability score: the random controls score chance, a real sentence encoder well above it", async () => {
  const n = 400;
  const band = 3 * Math.sqrt(0.2 * 0.8 / n); // per task; the mean of two tasks is tighter
  for (const unit of ["word", "text"] as const) {
    const s = await capabilityScore(randomTextEncoder({ unit, dim: 256 }), wn, { n });
    assert.ok(Math.abs(s.gloss.accuracy - 0.2) < band, `random-${unit} gloss ${s.gloss.accuracy}`);
    assert.ok(Math.abs(s.hypernym.accuracy - 0.2) < band, `random-${unit} hypernym ${s.hypernym.accuracy}`);
  }
  const use = await useLiteEncoder();
  const items = glossChoiceItems(wn, { n: 200 });
  const real = await choiceAccuracy(use, items);
  use.dispose();
  assert.ok(real.low > 0.2 + 0.1, `USE-lite on gloss matching: ${real.accuracy} [${real.low}, ${real.high}]`);
});
