import assert from "node:assert/strict";
import { join } from "node:path";
import { readQtResources } from "../lib/data/qt_rcc.ts";
import { loadGComprisWords, parseWordLessons } from "../lib/data/gcompris.ts";
import { writeQtResources } from "./fixtures/qt_rcc.ts";

const enc = (s: string) => new TextEncoder().encode(s);

Deno.test("Qt resources: nested folders, raw and zlib-compressed files read back byte for byte", async () => {
  const big = enc("abc".repeat(5000));
  const files = { "/a/b/c.txt": enc("hello"), "/a/big.bin": big, "/top.json": enc("{}") };
  const bytes = writeQtResources(files, ["/a/big.bin"]);
  assert.ok(bytes.length < big.length, "the big file is stored compressed");
  const back = readQtResources(bytes, "fixture.rcc");
  assert.deepEqual([...back.keys()].sort(), Object.keys(files).sort());
  for (const [p, b] of Object.entries(files)) assert.deepEqual(back.get(p), b, p);
  // the real file this reader is for, when this machine has it
  const real = "/usr/share/gcompris-qt/rcc/lang.rcc";
  if (await Deno.stat(real).catch(() => null)) assert.ok(readQtResources(await Deno.readFile(real), real).size > 100);
});

Deno.test("Qt resources: a cut file, a wrong magic or damaged compressed data is an error naming the file", () => {
  const bytes = writeQtResources({ "/x/y.txt": enc("some text"), "/z.bin": enc("z".repeat(300)) }, ["/z.bin"]);
  assert.throws(() => readQtResources(bytes.slice(0, 40), "cut.rcc"), /cut\.rcc: not a readable Qt resource file \(.*runs past the end/);
  const magic = bytes.slice();
  magic[0] = 0x51;
  assert.throws(() => readQtResources(magic, "magic.rcc"), /magic\.rcc: .*no 'qres' magic/);
  // flip bytes inside the zlib stream of /z.bin (header 24 bytes, 4 tree nodes of 22, then z.bin's two
  // size fields): zlib's checksum catches it
  const flipped = bytes.slice();
  const stream = 24 + 4 * 22 + 8;
  assert.equal(flipped[stream], 0x78, "a zlib header where the fixture puts z.bin's data");
  for (let i = stream + 4; i < stream + 8; i++) flipped[i] ^= 0xff;
  assert.throws(() => readQtResources(flipped, "flip.rcc"), /flip\.rcc: .*z\.bin/);
});

Deno.test("word lessons: words lower-cased, duplicates keep their first picture, bad files named", () => {
  const json = JSON.stringify([{ name: "other", content: [
    { name: "color", content: [{ description: "Blue ", image: "blue.webp" }, { description: "orange", image: "orange-color.webp" }] },
    { name: "fruit", content: [{ description: "orange", image: "orange.webp" }, { description: "apple", image: "apple.webp" }] },
  ] }]);
  assert.deepEqual(parseWordLessons(json), [
    { word: "blue", image: "blue.webp", lesson: "color" },
    { word: "orange", image: "orange-color.webp", lesson: "color" },
    { word: "apple", image: "apple.webp", lesson: "fruit" },
  ]);
  assert.throws(() => parseWordLessons("{", "w.json"), /w\.json: not JSON/);
  assert.throws(() => parseWordLessons(JSON.stringify([{ content: [{ name: "l", content: [{ image: "a.webp" }] }] }]), "w.json"), /w\.json: lesson "l" has a word without description/);
});

Deno.test("GCompris words: a dataset of one picture per word from the package's lang.rcc", async () => {
  const root = await Deno.makeTempDir();
  const dir = join(root, "usr", "share", "gcompris-qt", "rcc");
  await Deno.mkdir(dir, { recursive: true });
  const lessons = [{ name: "other", content: [{ name: "animal", content: [
    { description: "cat", image: "cat.webp" }, { description: "sea turtle", image: "turtle.webp" },
  ] }] }];
  const prefix = "/gcompris/src/activities/lang/resource/";
  await Deno.writeFile(join(dir, "lang.rcc"), writeQtResources({
    [`${prefix}words_sample.json`]: enc(JSON.stringify(lessons)),
    [`${prefix}words_sample/cat.webp`]: enc("CAT"),
    [`${prefix}words_sample/turtle.webp`]: enc("TURTLE"),
  }, [`${prefix}words_sample.json`]));
  const ds = await loadGComprisWords(root);
  assert.equal(ds.name, "gcompris-words");
  assert.deepEqual(ds.items.map((it) => [it.item_id, it.class_name, it.group, it.caption]), [
    ["gcompris/cat", "cat", "animal", null],
    ["gcompris/turtle", "sea turtle", "animal", null],
  ]);
  assert.deepEqual(ds.classes, ["cat", "sea turtle"]);
  assert.equal(await Deno.readTextFile(ds.items[1].image_path!), "TURTLE", "the picture's bytes are written out");
  const again = await loadGComprisWords(root);
  assert.deepEqual(again.items, ds.items, "a second load reuses the written pictures");
});
