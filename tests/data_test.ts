import assert from "node:assert/strict";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import sharp from "sharp";
import { emojiClassName, emojiItems } from "../lib/data/emoji.ts";
import { clipartItems, clipartTitle } from "../lib/data/openclipart.ts";
import { parseStampText } from "../lib/data/tuxpaint.ts";
import { parseIdx } from "../lib/data/fashion_mnist.ts";
import { parseGloss, wordNetFromFiles } from "../lib/data/wordnet.ts";
import { applySplit, assertDisjoint, splitClasses, splitFromJson, splitToJson } from "../lib/data/splits.ts";
import { CLIP_ENSEMBLE_7, CLIP_IMAGENET_TEMPLATES, fillTemplates, splitSentences } from "../lib/data/templates.ts";
import { classRepresentations, glossSentences } from "../lib/data/class_texts.ts";
import { listTar, readTarMember } from "../lib/data/tar.ts";
import { loadCocoCaptions, loadImageFolder, loadWebDataset } from "../lib/data/paper_datasets.ts";
import { classNames, type Dataset, readItems, writeItems } from "../lib/data/items.ts";

Deno.test("emoji: names become class names, flags and components are left out, duplicates merged", () => {
  const row = (name: string | null, unified: string, category = "Smileys & Emotion", sub = "face-smiling") => ({
    name, short_name: name?.toLowerCase().replaceAll(" ", "_") ?? "x_y", image: `${unified}.png`, unified, category, subcategory: sub, has_img_google: true,
  });
  const items = emojiItems([
    row("GRINNING FACE", "1F600"), row("Egypt Flag", "1F1EA-1F1EC", "Flags", "country-flag"),
    row("light skin tone", "1F3FB", "Component", "skin-tone"), row("Cat Face", "1F431", "Animals & Nature", "animal-mammal"),
    row("grinning face", "1F601"),
  ], "/img", "google");
  assert.deepEqual(items.map((i) => [i.class_name, i.class_id, i.group]), [["grinning face", 1, "face-smiling"], ["cat face", 0, "animal-mammal"]]);
  assert.equal(items[0].image_path, "/img/1F600.png");
  assert.equal(emojiClassName({ name: null, short_name: "thumbs_up" }), "thumbs up");
});

Deno.test("openclipart: titles from file names, folders as keywords, first drawing per title", () => {
  assert.equal(clipartTitle("double_helix_anthony_lie_01.png"), "double helix anthony lie");
  const items = clipartItems(["science/medicine/pill_bottle_01.png", "science/medicine/pill_bottle_02.png", "animals/cat_01.png", "top.png"], "/png");
  assert.deepEqual(items.map((i) => [i.caption, i.class_name]), [["pill bottle, medicine, science", "science"], ["cat, animals", "animals"]]);
});

Deno.test("tuxpaint: English first line and translations", () => {
  const p = parseStampText("A red apple.\nde.utf8=Ein roter Apfel.\nzh_CN.utf8=红苹果。\n");
  assert.equal(p.en, "A red apple.");
  assert.deepEqual(p.translations, { de: "Ein roter Apfel.", zh_CN: "红苹果。" });
});

Deno.test("idx files: images and labels parse; a bad header is rejected", () => {
  const header = [0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2];
  const { dims, data } = parseIdx(Uint8Array.from([...header, 1, 2, 3, 4, 5, 6, 7, 8]));
  assert.deepEqual(dims, [2, 2, 2]);
  assert.deepEqual([...data], [1, 2, 3, 4, 5, 6, 7, 8]);
  assert.throws(() => parseIdx(Uint8Array.from([1, 2, 3, 4])), /bad magic/);
  assert.throws(() => parseIdx(Uint8Array.from([...header, 1])), /truncated/);
  assert.ok(gzipSync(new Uint8Array(1)).length > 0);
});

Deno.test("wordnet: first-sense gloss, with plural and head-noun fallbacks", () => {
  const index = "  1 licence line\ncat n 2 1 @ 2 1 00000001 00000002  \ntabby_cat n 1 0 1 0 00000003  \n";
  const data = "  1 licence\n00000001 05 n 01 cat 0 000 | feline mammal usually having thick soft fur; \"cats purr\"  \n" +
    "00000002 05 n 01 cat 1 000 | a spiteful woman gossip  \n00000003 05 n 01 tabby_cat 0 002 + 00000002 n 0101 @ 00000001 n 0000 | a cat with a striped coat  \n";
  const wn = wordNetFromFiles(index, data);
  assert.equal(wn.size, 2);
  assert.deepEqual(wn.describe("Cats"), { lemma: "cat", definition: "feline mammal usually having thick soft fur", examples: ["cats purr"] });
  assert.equal(wn.describe("tabby cat")?.lemma, "tabby_cat");
  assert.equal(wn.describe("tabby cat")?.hypernym, "cat", "the first @ pointer, after another pointer");
  assert.equal(wn.describe("grumpy cat")?.lemma, "cat");
  assert.equal(wn.describe("xyzzy"), null);
  assert.deepEqual(parseGloss('a shoe; "she wore sandals"; "open toes"'), { definition: "a shoe", examples: ["she wore sandals", "open toes"] });
});

Deno.test("splits: disjoint by class, seeded, reproducible, and by whole groups when asked", () => {
  const classes = Array.from({ length: 40 }, (_, i) => `class ${i}`);
  const a = splitClasses(classes, { unseenFraction: 0.25, seed: 1 });
  assertDisjoint(a);
  assert.equal(a.unseen.size, 10);
  assert.equal(a.seen.size + a.unseen.size, 40);
  assert.deepEqual([...splitClasses(classes, { unseenFraction: 0.25, seed: 1 }).unseen], [...a.unseen]);
  assert.notDeepEqual([...splitClasses(classes, { unseenFraction: 0.25, seed: 2 }).unseen].sort(), [...a.unseen].sort());
  const byGroup = splitClasses(classes, { unseenFraction: 0.3, seed: 0, groupOf: (c) => `g${Number(c.split(" ")[1]) % 5}` });
  assertDisjoint(byGroup);
  const groupOf = (c: string) => `g${Number(c.split(" ")[1]) % 5}`;
  for (const c of byGroup.seen) assert.ok(!byGroup.unseenGroups!.includes(groupOf(c)), "no seen class in an unseen group");
  assert.deepEqual([...splitFromJson(splitToJson(byGroup)).unseen], [...byGroup.unseen].sort());
  assert.throws(() => splitFromJson('{"seed":0,"seen":["a","b"],"unseen":["b"]}'), /overlap: b/);
  assert.throws(() => splitClasses(["a"], {}), /at least 2 classes/);
  const items = applySplit([{ item_id: "x", image_path: null, class_id: 0, class_name: [...a.unseen][0], caption: null, group: null, split: "all", source: "t" }], a);
  assert.equal(items[0].split, "unseen");
});

Deno.test("templates and class representations", () => {
  assert.equal(CLIP_IMAGENET_TEMPLATES.length, 80);
  assert.equal(new Set(CLIP_IMAGENET_TEMPLATES).size, 80);
  assert.ok(CLIP_ENSEMBLE_7.every((t) => CLIP_IMAGENET_TEMPLATES.includes(t)));
  assert.deepEqual(fillTemplates("cat", ["a photo of a {}.", "{} art"]), ["a photo of a cat.", "cat art"]);
  assert.throws(() => fillTemplates("cat", ["no slot"]), /no "\{\}"/);
  assert.deepEqual(splitSentences("A cat. It purrs! Does it? yes. e.g. this"), ["A cat.", "It purrs!", "Does it? yes. e.g. this"]);
  assert.deepEqual(glossSentences("apple", "fruit with red or yellow or green skin (of Malus)", ["an apple a day"]), [
    "An apple is a fruit with red or yellow or green skin.", "an apple a day",
  ]);
  const reps = classRepresentations(["cat", "xyzzy"], { templates: ["a {}."], wordnet: { version: "t", size: 1, describe: (t) => t === "cat" ? { lemma: "cat", definition: "a feline", examples: [] } : null, entries: () => [] } });
  assert.deepEqual(reps.templates.cat, ["a cat."]);
  assert.deepEqual(reps.descriptions.cat, ["A cat is a feline."]);
  assert.deepEqual(reps.undescribed, ["xyzzy"]);
});

Deno.test("items table: parquet round trip and class-id consistency", async () => {
  const dir = await Deno.makeTempDir();
  const ds: Dataset = { name: "t", version: "1", classes: ["a", "b"], items: [
    { item_id: "1", image_path: "/x.png", class_id: 0, class_name: "a", caption: null, group: "g", split: "seen", source: "t" },
    { item_id: "2", image_path: null, class_id: 1, class_name: "b", caption: "a b", group: null, split: "unseen", source: "t" },
  ] };
  await writeItems(ds, join(dir, "t.parquet"));
  const back = readItems(join(dir, "t.parquet"));
  assert.deepEqual(back, ds.items);
  assert.deepEqual(classNames(back), ["a", "b"]);
  assert.throws(() => classNames([...back, { ...back[0], class_name: "c" }]), /class_id 0 is both "a" and "c"/);
  assert.throws(() => readItems(join(dir, "missing.parquet")), /missing\.parquet/);
});

async function png(path: string, rgb: [number, number, number]) {
  await sharp({ create: { width: 8, height: 8, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } }).png().toFile(path);
}

Deno.test("paper dataset adapters: image folders, COCO captions, webdataset shards; missing data is a clear error", async () => {
  const root = await Deno.makeTempDir();
  for (const [cls, c] of [["001.black_bird", [0, 0, 0]], ["002.red_fox", [255, 0, 0]]] as const) {
    await Deno.mkdir(join(root, "val", cls), { recursive: true });
    await png(join(root, "val", cls, "a.png"), c as [number, number, number]);
    await png(join(root, "val", cls, "b.jpg.png"), c as [number, number, number]);
  }
  const folder = await loadImageFolder(root, { name: "cub", split: "val", perClass: 1 });
  assert.deepEqual(folder.classes, ["black bird", "red fox"]);
  assert.equal(folder.items.length, 2);
  await assert.rejects(() => loadImageFolder(join(root, "nope"), { name: "imagenet" }), /not found at .*nope\. ImageNet-1k/);

  await Deno.writeTextFile(join(root, "caps.json"), JSON.stringify({ images: [{ id: 7, file_name: "a.png" }], annotations: [{ image_id: 7, caption: " A cat. " }, { image_id: 7, caption: "a kitten" }] }));
  const coco = await loadCocoCaptions(join(root, "caps.json"), join(root, "val", "002.red_fox"));
  assert.deepEqual(coco.items.map((i) => i.caption), ["A cat.", "a kitten"]);
  assert.equal(coco.items[0].group, "7");
  await assert.rejects(() => loadCocoCaptions(join(root, "none.json"), root), /COCO captions file not found/);

  const shardDir = join(root, "wds");
  await Deno.mkdir(shardDir);
  await png(join(shardDir, "0001.png"), [0, 255, 0]);
  await Deno.writeTextFile(join(shardDir, "0001.txt"), "a green square");
  await png(join(shardDir, "0002.png"), [0, 0, 255]);
  await Deno.writeTextFile(join(shardDir, "0002.json"), JSON.stringify({ caption: "a blue square" }));
  await png(join(shardDir, "0003.png"), [9, 9, 9]); // no caption: left out
  const tar = join(root, "shard-0.tar");
  const made = await new Deno.Command("tar", { args: ["cf", tar, "-C", shardDir, "0001.png", "0001.txt", "0002.png", "0002.json", "0003.png"] }).output();
  assert.ok(made.success);
  assert.deepEqual(listTar(tar).map((m) => m.name), ["0001.png", "0001.txt", "0002.png", "0002.json", "0003.png"]);
  assert.equal(new TextDecoder().decode(readTarMember(tar, listTar(tar)[1])), "a green square");
  const wds = await loadWebDataset([tar]);
  assert.deepEqual(wds.items.map((i) => [i.caption, i.image_path]), [["a green square", `${tar}::0001.png`], ["a blue square", `${tar}::0002.png`]]);
  await Deno.writeTextFile(join(root, "bad.tar"), "x".repeat(1024));
  assert.throws(() => listTar(join(root, "bad.tar")), /bad tar header checksum/);
  await assert.rejects(() => loadWebDataset([join(root, "missing.tar")]), /shard not found/);
});

Deno.test("multilingual: class names by code point, missing translations listed, templates per language", async () => {
  const { codeKey, translateClasses, MULTILINGUAL_TEMPLATES, emojiNamesIn } = await import("../lib/data/multilingual.ts");
  assert.equal(codeKey("1f600"), "1F600");
  assert.equal(codeKey("2764-FE0F"), "2764");
  const item = (id: string, cls: number, name: string) => ({ item_id: `emoji-google/${id}`, image_path: null, class_id: cls, class_name: name, caption: null, group: null, split: "all", source: "t" });
  const names = new Map([["1F600", "faccina con un gran sorriso"], ["2764", "cuore rosso"]]);
  const t = translateClasses([item("1f600", 0, "grinning face"), item("2764-fe0f", 1, "red heart"), item("1f9ff", 2, "nazar amulet")], names);
  assert.deepEqual(t.names, ["faccina con un gran sorriso", "cuore rosso", null]);
  assert.deepEqual(t.missing, ["nazar amulet"]);
  for (const lang of ["en", "zh", "ja", "it"] as const) assert.ok(MULTILINGUAL_TEMPLATES[lang].every((x) => x.includes("{}")));
  const dir = await Deno.makeTempDir();
  await Deno.mkdir(join(dir, "it"));
  await Deno.writeTextFile(join(dir, "it", "data.json"), JSON.stringify([{ hexcode: "1F600", label: "faccina" }]));
  assert.equal((await emojiNamesIn("it", dir)).get("1F600"), "faccina");
  await assert.rejects(() => emojiNamesIn("xx", dir), /no emoji names for language "xx"/);
});

Deno.test("LLM descriptions: say why when no model is set; generate once and cache per class", async () => {
  const { llmDescriptions } = await import("../lib/data/llm_descriptions.ts");
  const none = await llmDescriptions(["cat"], { model: undefined });
  if (!Deno.env.get("SHARELOCK_LLM")) assert.match(none.reason ?? "", /no text-generation model is configured/);
  const cache = await Deno.makeTempDir();
  let calls = 0;
  const generate = (p: string) => (calls++, Promise.resolve(`A ${p.split(": ")[1].trim().replace(".", "")} is an animal. It purrs.`));
  const a = await llmDescriptions(["cat", "lynx"], { generate, cache });
  assert.deepEqual(a.texts.cat, ["A cat is an animal.", "It purrs."]);
  await llmDescriptions(["cat", "lynx", "puma"], { generate, cache });
  assert.equal(calls, 3, "cached classes are not generated again");
});
