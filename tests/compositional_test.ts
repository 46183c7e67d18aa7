import assert from "node:assert/strict";
import { join } from "node:path";
import { differenceKind, layoutGroups, loadWinoground, oneWordGroups } from "../lib/experiments/compositional.ts";
import { multilingualEmojiTask } from "../lib/experiments/multilingual.ts";
import { winogroundScores } from "../lib/eval/retrieval.ts";
import type { ZeroShotTask } from "../lib/experiments/captions.ts";

Deno.test("oneWordGroups: names differing in one word or in order, each pair once, with the kind", () => {
  const g = oneWordGroups(["man cook", "woman cook", "red apple", "green apple", "apple", "dog face", "face dog", "man cook", "cat face smiling"]);
  const pairs = g.map((x) => `${x.classes.join("/")}:${x.kind}`).sort();
  assert.deepEqual(pairs, ["dog face/face dog:order", "green apple/red apple:colour", "man cook/woman cook:who"]);
  assert.equal(differenceKind("up", "down"), "direction");
  assert.equal(differenceKind("cat", "dog"), "other");
  assert.deepEqual(oneWordGroups(["apple", "pear"]), [], "single words make no group");
});

Deno.test("layoutGroups puts each class's first image and caption once; a perfect similarity scores 100%", () => {
  const task = { classes: ["man cook", "woman cook", "red apple", "green apple"], labels: [0, 1, 1, 2, 3, 0] };
  const lay = layoutGroups(task, oneWordGroups(task.classes), (c) => `a ${c}.`);
  assert.equal(lay.groups.length, 2);
  assert.equal(lay.rows.length, 4);
  assert.deepEqual(lay.rows.map((r) => task.classes[task.labels[r]]).sort(), [...task.classes].sort());
  assert.equal(new Set(lay.captions).size, 4);
  // image i matches caption t exactly when they name the same class
  const cls = (i: number) => task.classes[task.labels[lay.rows[i]]];
  const perfect = winogroundScores(lay.groups, (i, t) => (lay.captions[t] === `a ${cls(i)}.` ? 1 : 0));
  assert.deepEqual([perfect.text, perfect.image, perfect.group], [1, 1, 1]);
  const constant = winogroundScores(lay.groups, () => 0.5);
  assert.deepEqual([constant.text, constant.image, constant.group], [0, 0, 0], "ties never count as a match");
});

Deno.test("loadWinoground reads examples.jsonl and names the file and field on bad input", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await assert.rejects(() => loadWinoground(dir), /Winoground not found: .*examples\.jsonl/);
    await Deno.writeTextFile(join(dir, "examples.jsonl"), [
      JSON.stringify({ id: 0, image_0: "ex_0_img_0", image_1: "ex_0_img_1", caption_0: "a dog on a man", caption_1: "a man on a dog", collapsed_tag: "Object" }),
      "",
    ].join("\n"));
    const wg = await loadWinoground(dir);
    assert.equal(wg.groups.length, 1);
    assert.deepEqual(wg.captions, ["a dog on a man", "a man on a dog"]);
    assert.equal(wg.items[wg.groups[0].images[1]].image_path, join(dir, "images", "ex_0_img_1.png"));
    assert.equal(wg.groups[0].tag, "Object");
    await Deno.writeTextFile(join(dir, "examples.jsonl"), JSON.stringify({ image_0: "a", image_1: "b", caption_0: "x" }));
    await assert.rejects(() => loadWinoground(dir), /line 1 has no "caption_1"/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("multilingualEmojiTask keeps only classes named in every language, aligned with the images", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const names: Record<string, [string, string][]> = {
      en: [["1F600", "grinning face"], ["1F431", "cat face"], ["1F34E", "red apple"]],
      it: [["1F600", "faccina con un gran sorriso"], ["1F431", "muso di gatto"]],
    };
    for (const [lang, list] of Object.entries(names)) {
      await Deno.mkdir(join(dir, lang));
      await Deno.writeTextFile(join(dir, lang, "data.json"), JSON.stringify(list.map(([hexcode, label]) => ({ hexcode, label }))));
    }
    const item = (code: string, cls: string) => ({ item_id: `emoji-google/${code.toLowerCase()}`, image_path: null, class_id: 0, class_name: cls, caption: cls, group: null, split: "all", source: "emoji-google" });
    const task: ZeroShotTask = {
      name: "toy", kind: "unseen",
      items: [item("1F34E", "red apple"), item("1F600-FE0F", "grinning face"), item("1F431", "cat face")],
      images: { data: Float32Array.from([0, 0, 1, 1, 2, 2]), rows: 3, dim: 2 },
      classes: ["cat face", "grinning face", "red apple"], labels: [2, 1, 0],
    };
    const ml = await multilingualEmojiTask(task, ["en", "it"], dir);
    assert.deepEqual(ml.dropped, ["red apple"]);
    assert.deepEqual(ml.task.classes, ["cat face", "grinning face"]);
    assert.deepEqual(ml.names.it, ["muso di gatto", "faccina con un gran sorriso"]);
    assert.equal(ml.task.images.rows, 2);
    // the image of "grinning face" (row 1 of the original) keeps its label
    assert.deepEqual(Array.from(ml.task.images.data), [1, 1, 2, 2]);
    assert.deepEqual(ml.task.labels, [1, 0]);
    await assert.rejects(() => multilingualEmojiTask(task, ["en", "ja"], dir), /no emoji names for language "ja"/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
