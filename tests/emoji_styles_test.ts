/**
 * The multi-style emoji dataset on tiny packages made here: an emoji-datasource package, an OpenMoji
 * package and a Fluent Emoji package with a few real SVGs, laid out as the npm packages are.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import sharp from "sharp";
import { type EmojiRow, loadEmoji } from "../lib/data/emoji.ts";
import { fluentImageOf, fluentSlug, loadOpenEmoji, openmojiImageOf, RASTER_SIZE } from "../lib/data/emoji_styles.ts";
import { alignStyles, DEFAULT_STYLE_SHIFT, EMOJI_STYLE_DATASETS, styleShiftSplit } from "../lib/data/emoji_multistyle.ts";
import { EMBEDDED_DATASETS } from "../lib/data/registry.ts";
import { EMBEDDED_PLAN } from "../lib/config.ts";
import type { Dataset, Item } from "../lib/data/items.ts";

const svg = (fill: string, box = 32) =>
  `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${box} ${box}"><circle cx="${box / 2}" cy="${box / 2}" r="${box / 3}" fill="${fill}"/></svg>`;

const row = (name: string, unified: string, sub = "face-smiling", category = "Smileys & Emotion"): EmojiRow => ({
  name: name.toUpperCase(), short_name: name.replaceAll(" ", "_"), image: `${unified.toLowerCase()}.png`, unified, category, subcategory: sub, has_img_google: true,
});

const ROWS: EmojiRow[] = [
  row("grinning face", "1F600"),
  row("red heart", "2764-FE0F", "heart"),
  row("cat face", "1F431", "animal-mammal", "Animals & Nature"),
  row("waving hand", "1F44B", "hand-fingers-open", "People & Body"),
  row("flag: egypt", "1F1EA-1F1EC", "country-flag", "Flags"),
];

/** Write tiny packages; returns their folders. */
async function makePackages(root: string, opts: { dropOpenmojiFile?: string } = {}) {
  const rows = join(root, "datasource"), om = join(root, "openmoji"), fl = join(root, "fluent"), eb = join(root, "emojibase");
  await Deno.mkdir(join(rows, "img", "google", "64"), { recursive: true });
  await Deno.writeTextFile(join(rows, "emoji.json"), JSON.stringify(ROWS));
  const png = await sharp({ create: { width: 64, height: 64, channels: 4, background: { r: 200, g: 10, b: 10, alpha: 1 } } }).png().toBuffer();
  for (const r of ROWS) await Deno.writeFile(join(rows, "img", "google", "64", r.image), png);
  // OpenMoji: code-point file names without FE0F, index in data/openmoji.json; no waving hand
  await Deno.mkdir(join(om, "color", "svg"), { recursive: true });
  await Deno.mkdir(join(om, "data"), { recursive: true });
  const omCodes = ["1F600", "2764", "1F431", "1F1EA-1F1EC"];
  await Deno.writeTextFile(join(om, "data", "openmoji.json"), JSON.stringify(omCodes.map((hexcode) => ({ hexcode }))));
  for (const h of omCodes) if (h !== opts.dropOpenmojiFile) await Deno.writeTextFile(join(om, "color", "svg", `${h}.svg`), svg("#f5c000", 72));
  // Fluent: CLDR-name file names; the hand only with skin tones (-default); no red heart
  for (const v of ["flat", "modern"]) {
    await Deno.mkdir(join(fl, "icons", v), { recursive: true });
    for (const f of ["grinning-face.svg", "cat-face.svg", "waving-hand-default.svg", "waving-hand-dark.svg"]) {
      await Deno.writeTextFile(join(fl, "icons", v, f), svg(v === "flat" ? "#3070ff" : "#30a040"));
    }
  }
  await Deno.mkdir(join(eb, "en"), { recursive: true });
  await Deno.writeTextFile(
    join(eb, "en", "data.json"),
    JSON.stringify([["1F600", "grinning face"], ["2764-FE0F", "red heart"], ["1F431", "cat face"], ["1F44B", "waving hand"]].map(([hexcode, label]) => ({ hexcode, label }))),
  );
  return { rows, om, fl, eb };
}

Deno.test("emoji styles: OpenMoji and Fluent file look-ups by code point and CLDR name", () => {
  const om = openmojiImageOf(["1F600", "2764"], "/om");
  assert.equal(om(row("grinning face", "1F600")), "/om/1F600.svg");
  assert.equal(om(row("red heart", "2764-FE0F")), "/om/2764.svg", "U+FE0F is ignored when matching");
  assert.equal(om(row("cat face", "1F431")), null);
  assert.equal(fluentSlug("woman’s hat"), "womans-hat");
  assert.equal(fluentSlug("piñata"), "pinata");
  assert.equal(fluentSlug("A button (blood type)"), "a-button-blood-type");
  const fl = fluentImageOf(new Map([["1F44B", "waving hand"], ["1F600", "grinning face"]]), ["waving-hand-default.svg", "waving-hand-dark.svg", "grinning-face.svg"], "/fl");
  assert.equal(fl(row("waving hand", "1F44B")), "/fl/waving-hand-default.svg");
  assert.equal(fl(row("grinning face", "1F600")), "/fl/grinning-face.svg");
  assert.equal(fl(row("cat face", "1F431")), null);
});

Deno.test("emoji styles: every style built from the same rows gives the same emoji the same class id; missing classes reported", async () => {
  const root = await Deno.makeTempDir();
  try {
    const p = await makePackages(root);
    const cache = join(root, "cache");
    const google = await loadEmoji({ style: "google", packageDir: p.rows });
    const openmoji = await loadOpenEmoji({ style: "openmoji", packageDir: p.om, rowsDir: p.rows, cache });
    const flat = await loadOpenEmoji({ style: "fluent-flat", packageDir: p.fl, rowsDir: p.rows, emojibaseDir: p.eb, cache });
    const color = await loadOpenEmoji({ style: "fluent-color", packageDir: p.fl, rowsDir: p.rows, emojibaseDir: p.eb, cache });
    assert.deepEqual(openmoji.items.map((i) => i.class_name).sort(), ["cat face", "grinning face", "red heart"], "flag dropped, hand not drawn");
    assert.deepEqual(flat.items.map((i) => i.class_name).sort(), ["cat face", "grinning face", "waving hand"]);
    // the SVGs were rasterised to 64x64 PNGs with their own colours
    for (const [ds, rgb] of [[openmoji, [245, 192, 0]], [flat, [48, 112, 255]], [color, [48, 160, 64]]] as const) {
      for (const it of ds.items) {
        const { data, info } = await sharp(it.image_path!).raw().toBuffer({ resolveWithObject: true });
        assert.deepEqual([info.width, info.height, info.channels], [RASTER_SIZE, RASTER_SIZE, 4]);
        const c = (32 * 64 + 32) * 4;
        assert.deepEqual([...data.subarray(c, c + 4)], [...rgb, 255], `${it.image_path} centre pixel`);
        assert.equal(data[3], 0, "corners stay transparent");
      }
    }
    const al = alignStyles([google, openmoji, flat, color]);
    assert.deepEqual(al.classes, ["cat face", "grinning face"]);
    assert.deepEqual(al.missing, { "emoji-google": [], "emoji-openmoji": ["waving hand"], "emoji-fluent-flat": ["red heart"], "emoji-fluent-color": ["red heart"] });
    for (const items of Object.values(al.styles)) {
      assert.deepEqual(items.map((i) => [i.class_id, i.class_name, i.item_id.split("/")[1]]), [[0, "cat face", "1f431"], [1, "grinning face", "1f600"]]);
    }
    // a second load reuses the rendered PNGs (same paths, files untouched)
    const before = Deno.statSync(openmoji.items[0].image_path!).mtime;
    const again = await loadOpenEmoji({ style: "openmoji", packageDir: p.om, rowsDir: p.rows, cache });
    assert.deepEqual(again.items, openmoji.items);
    assert.deepEqual(Deno.statSync(again.items[0].image_path!).mtime, before);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("emoji styles: a package that lists an image it lacks is an error naming the file", async () => {
  const root = await Deno.makeTempDir();
  try {
    const p = await makePackages(root, { dropOpenmojiFile: "1F431" });
    await assert.rejects(
      () => loadOpenEmoji({ style: "openmoji", packageDir: p.om, rowsDir: p.rows, cache: join(root, "cache") }),
      /openmoji@17\.0\.0 \(openmoji\): 1 image file\(s\) listed by the package are missing, e\.g\. .*1F431\.svg/,
    );
    await Deno.remove(join(p.rows, "img", "google", "64", "1f600.png"));
    await assert.rejects(() => loadEmoji({ style: "google", packageDir: p.rows }), /emoji-datasource-google@16\.0\.0: 1 image file.*1f600\.png/);
    await Deno.writeTextFile(join(p.om, "color", "svg", "1F431.svg"), "<svg broken");
    await assert.rejects(
      () => loadOpenEmoji({ style: "openmoji", packageDir: p.om, rowsDir: p.rows, cache: join(root, "cache") }),
      /cannot rasterise emoji image .*1F431\.svg/,
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

function fakeStyle(name: string, classes: [string, string, string][]): Dataset {
  const items: Item[] = classes.map(([cls, code, group], i) => ({
    item_id: `${name}/${code}`, image_path: `/${name}/${code}.png`, class_id: i, class_name: cls, caption: cls, group, split: "all", source: name,
  }));
  return { name, version: "test", items, classes: classes.map((c) => c[0]) };
}

const CLASSES: [string, string, string][] = Array.from({ length: 40 }, (_, i) => [`class ${String(i).padStart(2, "0")}`, `1f${600 + i}`, `group ${i % 5}`]);

Deno.test("emoji styles: alignment refuses a class whose code point differs between styles", () => {
  const a = fakeStyle("a", CLASSES.slice(0, 3));
  const b = fakeStyle("b", [CLASSES[0], [CLASSES[1][0], "1f999", "g"], CLASSES[2]]);
  assert.throws(() => alignStyles([a, b]), /class "class 01" is code point 1f601 in a but 1f999 in b/);
  assert.throws(() => alignStyles([a, fakeStyle("c", [CLASSES[0], CLASSES[0]])]), /c: class "class 00" has two images/);
  assert.throws(() => alignStyles([a]), /at least 2 styles/);
  // classes are matched by name and code, not by position: reordered styles still align
  const rev = fakeStyle("r", [...CLASSES.slice(0, 3)].reverse());
  const al = alignStyles([a, rev]);
  assert.deepEqual(al.styles.r.map((i) => [i.class_id, i.item_id]), [[0, "r/1f600"], [1, "r/1f601"], [2, "r/1f602"]]);
});

Deno.test("emoji styles: style-shift split is disjoint by class, reproducible, and never trains on the held-out style", () => {
  const al = alignStyles(["g", "t", "o", "f"].map((s) => fakeStyle(s, CLASSES)));
  const opts = { trainStyles: ["g", "t", "f"], heldOutStyle: "o", seed: 3 };
  const s = styleShiftSplit(al, opts);
  const seen = new Set(s.train.map((i) => i.class_name)), unseen = new Set([...s.test, ...s.styleShift].map((i) => i.class_name));
  assert.equal([...seen].filter((c) => unseen.has(c)).length, 0, "disjoint by class");
  assert.equal(seen.size + unseen.size, 40);
  assert.equal(unseen.size, 10, "25% unseen");
  assert.equal(s.train.length, 30 * 3, "each seen class once per training style");
  assert.equal(s.test.length, 10 * 3);
  assert.deepEqual(new Set(s.styleShift.map((i) => i.source)), new Set(["o"]));
  assert.ok(!s.train.some((i) => i.source === "o") && !s.test.some((i) => i.source === "o"), "held-out style never in training or in-style test");
  assert.deepEqual(new Set(s.styleShift.map((i) => i.class_name)), new Set(s.test.map((i) => i.class_name)), "same unseen classes in both tests");
  assert.ok(s.train.every((i) => i.split === "seen") && [...s.test, ...s.styleShift].every((i) => i.split === "unseen"));
  assert.deepEqual(styleShiftSplit(al, opts), s, "same seed, same split");
  assert.notDeepEqual([...styleShiftSplit(al, { ...opts, seed: 4 }).split.unseen].sort(), [...s.split.unseen].sort(), "another seed, another split");
  const byGroup = styleShiftSplit(al, { ...opts, byGroup: true });
  const groupsSeen = new Set(byGroup.train.map((i) => i.group)), groupsUnseen = new Set(byGroup.styleShift.map((i) => i.group));
  assert.equal([...groupsSeen].filter((g) => groupsUnseen.has(g)).length, 0, "by group: whole groups unseen");
  assert.throws(() => styleShiftSplit(al, { trainStyles: ["g", "o"], heldOutStyle: "o" }), /held-out style "o" is also a training style/);
  assert.throws(() => styleShiftSplit(al, { trainStyles: ["g"], heldOutStyle: "x" }), /style "x" is not in the alignment/);
});

Deno.test("emoji styles: the default styles are registered and extracted, and the default shift holds out a style it does not train on", () => {
  const planned = new Set(EMBEDDED_PLAN.images.flatMap((j) => j.datasets));
  for (const d of EMOJI_STYLE_DATASETS) {
    assert.ok(EMBEDDED_DATASETS[d], `${d} is a registry dataset`);
    assert.ok(planned.has(d), `${d} is in the embedded extraction plan`);
  }
  assert.ok(EMBEDDED_DATASETS["emoji-fluent-flat"]);
  const all = [...DEFAULT_STYLE_SHIFT.trainStyles, DEFAULT_STYLE_SHIFT.heldOutStyle];
  assert.ok(all.every((s) => (EMOJI_STYLE_DATASETS as readonly string[]).includes(s)));
  assert.ok(!(DEFAULT_STYLE_SHIFT.trainStyles as readonly string[]).includes(DEFAULT_STYLE_SHIFT.heldOutStyle));
});
