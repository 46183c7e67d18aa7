import assert from "node:assert/strict";
import { join } from "node:path";
import sharp from "sharp";
import { wordTokens, wordVectorEncoderFrom } from "../lib/encoders/text/word_vectors.ts";
import { randomTextEncoder } from "../lib/encoders/text/random_text.ts";
import { UseTokenizer } from "../lib/encoders/text/use_tokenizer.ts";
import { preprocessImage } from "../lib/images/image_io.ts";
import { inceptionV3Encoder, mobileNetV2Encoder, useLiteEncoder } from "../lib/encoders/vision/tfjs_models.ts";
import { selectTfBackend } from "../lib/runtime/tf_backend.ts";
import { checkEmbeddings, type EncoderIdentity } from "../lib/encoders/types.ts";

const cos = (a: Float32Array, b: Float32Array) => {
  let d = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) (d += a[i] * b[i], na += a[i] * a[i], nb += b[i] * b[i]);
  return d / Math.sqrt(na * nb);
};

Deno.test("word vectors: mean of known words, out-of-vocabulary rate, zero vector when nothing is known", async () => {
  const enc = wordVectorEncoderFrom({ words: ["red", "apple", "dog's"], vectors: Float32Array.of(1, 0, 0, 1, 2, 2), dim: 2, source: "tiny" });
  const [a, b, c] = await enc.embed(["Red apple!", "red xyzzy", "plugh"]);
  assert.deepEqual([...a], [0.5, 0.5]);
  assert.deepEqual([...b], [1, 0]);
  assert.deepEqual([...c], [0, 0]);
  assert.equal(enc.oovRate!(), 2 / 5);
  assert.deepEqual(wordTokens("The dog's ball, 2 times."), ["the", "dog's", "ball", "2", "times"]);
});

Deno.test("random control: deterministic per seed, word unit ignores order, text unit does not", async () => {
  const a = randomTextEncoder({ dim: 16, seed: 1 }), b = randomTextEncoder({ dim: 16, seed: 2 });
  const [x1, x2] = await a.embed(["red apple", "apple red"]);
  assert.deepEqual([...x1], [...x2]);
  assert.notDeepEqual([...(await b.embed(["red apple"]))[0]], [...x1]);
  assert.deepEqual([...(await randomTextEncoder({ dim: 16, seed: 1 }).embed(["red apple"]))[0]], [...x1]);
  const t = randomTextEncoder({ dim: 16, seed: 1, unit: "text" });
  const [y1, y2] = await t.embed(["red apple", "apple red"]);
  assert.notDeepEqual([...y1], [...y2]);
  assert.ok(Math.abs(cos(x1, (await a.embed(["green pear"]))[0])) < 0.9);
});

Deno.test("USE tokenizer: best-scoring segmentation, unknown symbols merged", () => {
  // Like a real SentencePiece vocabulary, every single character is a piece (the Viterbi needs it).
  const vocab: [string, number][] = [["\ufffd", 0], ["<s>", 0], ["</s>", 0], ["e1", 0], ["e2", 0], ["e3", 0],
    ["\u2581a", -1], ["\u2581cat", -2], ["\u2581c", -3], ["at", -3], [".", -1], ["\u2581", -4],
    ["a", -6], ["c", -6], ["t", -6]];
  const tok = new UseTokenizer(vocab);
  assert.deepEqual(tok.encode("a cat."), [6, 7, 10]);
  assert.deepEqual(tok.encode("cat"), [7], "the text starts with '\u2581'");
  assert.deepEqual(tok.encode("tat"), [11, 14, 9], "'\u2581' + 't' + 'at' (-13) beats single letters (-22)");
  assert.deepEqual(tok.encode("a ##"), [6, 11, 0], "unknown symbols become one id 0");
});

Deno.test("checkEmbeddings names the input that produced a bad vector", () => {
  const id = { name: "m", dim: 2 } as EncoderIdentity;
  assert.throws(() => checkEmbeddings(id, ["ok", "bad text"], [Float32Array.of(1, 2), Float32Array.of(1, Infinity)]), /non-finite value \(Infinity\) for "bad text"/);
  assert.throws(() => checkEmbeddings(id, ["x"], [Float32Array.of(1)]), /1-d vector for input 0, expected 2/);
});

Deno.test("image preprocessing: pad keeps the aspect on white, crop takes the centre, grey becomes RGB", async () => {
  const dir = await Deno.makeTempDir();
  const wide = join(dir, "wide.png");
  await sharp({ create: { width: 40, height: 20, channels: 3, background: { r: 255, g: 0, b: 0 } } }).png().toFile(wide);
  const pad = await preprocessImage(wide, { size: 32, mode: "pad", layout: "hwc" });
  const px = (x: number, y: number) => [0, 1, 2].map((c) => Math.round(pad[(y * 32 + x) * 3 + c] * 255));
  assert.deepEqual(px(16, 0), [255, 255, 255], "top padding is white");
  assert.deepEqual(px(16, 16), [255, 0, 0], "middle is the image");
  const halves = join(dir, "halves.png");
  const raw = new Uint8Array(300 * 100 * 3).map((_, i) => ((i / 3) % 300 < 150 ? [0, 0, 255] : [0, 255, 0])[i % 3]);
  await sharp(raw, { raw: { width: 300, height: 100, channels: 3 } }).png().toFile(halves);
  const crop = await preprocessImage(halves, { size: 64, mode: "crop", resize: 64, layout: "chw" });
  const n = 64 * 64;
  assert.ok(crop[2 * n + 10] > 0.9 && crop[n + 10] < 0.1, "left of the crop is blue (chw layout)");
  assert.ok(crop[n + 60] > 0.9, "right of the crop is green");
  const grey = join(dir, "grey.png");
  await sharp(new Uint8Array(16).fill(128), { raw: { width: 4, height: 4, channels: 1 } }).png().toFile(grey);
  const g = await preprocessImage(grey, { size: 4, mode: "pad", layout: "hwc" });
  assert.equal(g.length, 48);
  assert.ok(g.every((v) => Math.abs(v - 128 / 255) < 1e-6));
  const transparent = join(dir, "alpha.png");
  await sharp({ create: { width: 4, height: 4, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } }).png().toFile(transparent);
  assert.ok((await preprocessImage(transparent, { size: 4, mode: "pad", layout: "hwc" })).every((v) => v === 1), "transparency on white");
  await Deno.writeTextFile(join(dir, "bad.png"), "no image");
  await assert.rejects(() => preprocessImage(join(dir, "bad.png"), { size: 4, mode: "pad", layout: "hwc" }), /cannot decode image .*bad\.png/);
  await assert.rejects(() => preprocessImage(join(dir, "absent.png"), { size: 4, mode: "pad", layout: "hwc" }), /cannot read image .*absent\.png/);
});

async function testImages(dir: string): Promise<string[]> {
  const red = join(dir, "red.png"), stripes = join(dir, "stripes.png");
  await sharp({ create: { width: 64, height: 64, channels: 3, background: { r: 220, g: 30, b: 30 } } }).png().toFile(red);
  const raw = new Uint8Array(64 * 64 * 3).map((_, i) => (Math.floor(i / (64 * 3 * 4)) % 2 ? 255 : 0));
  await sharp(raw, { raw: { width: 64, height: 64, channels: 3 } }).png().toFile(stripes);
  return [red, stripes];
}

Deno.test("MobileNetV2 (real weights): 1792-d, deterministic, batching does not change features", async () => {
  await selectTfBackend();
  const [red, stripes] = await testImages(await Deno.makeTempDir());
  const enc = await mobileNetV2Encoder({ batchSize: 2 });
  assert.equal(enc.identity.dim, 1792);
  const [a, b, a2] = await enc.embed([red, stripes, red]);
  const [alone] = await enc.embed([stripes]);
  b.forEach((x, i) => assert.ok(Math.abs(x - alone[i]) < 1e-3, `feature ${i}`));
  assert.deepEqual([...a], [...a2]);
  assert.ok(cos(a, b) < 0.95, "different images, different features");
  enc.dispose();
});

Deno.test("InceptionV3 (real weights): 2048-d features at 299x299", async () => {
  await selectTfBackend();
  const [red] = await testImages(await Deno.makeTempDir());
  const enc = await inceptionV3Encoder();
  assert.equal(enc.identity.dim, 2048);
  assert.match(enc.identity.preprocessing, /resize 299/);
  const [v] = await enc.embed([red]);
  assert.ok(v.some((x) => x !== 0));
  enc.dispose();
});

Deno.test("Universal Sentence Encoder lite (real weights): paraphrases closer than unrelated sentences", async () => {
  await selectTfBackend();
  const enc = await useLiteEncoder({ batchSize: 2 });
  assert.equal(enc.identity.dim, 512);
  const [cat, kitten, stocks, cat2] = await enc.embed(["a photo of a cat.", "a picture of a kitten.", "the stock market fell today.", "a photo of a cat."]);
  assert.ok(cos(cat, kitten) > cos(cat, stocks) + 0.3, `${cos(cat, kitten)} vs ${cos(cat, stocks)}`);
  cat.forEach((x, i) => assert.ok(Math.abs(x - cat2[i]) < 1e-5, "same text in another batch, same vector"));
  await assert.rejects(() => enc.embed(["fine", " "]), /use-lite: empty text at position 1/);
  enc.dispose();
});

Deno.test("PCA word vectors: eigenvectors of a known matrix, and a projection keeping the main direction", async () => {
  const { symmetricEigen, pcaWordTable } = await import("../lib/encoders/text/word_vectors.ts");
  const e = symmetricEigen(Float64Array.of(2, 1, 1, 2), 2);
  assert.ok(Math.abs(e.values[0] - 3) < 1e-9 && Math.abs(e.values[1] - 1) < 1e-9);
  assert.ok(Math.abs(Math.abs(e.vectors[0][0]) - Math.SQRT1_2) < 1e-9);
  // points spread along (1, 1) with little noise: the first component is that direction
  const vecs = Float32Array.of(1, 1.1, 2, 1.9, 3, 3.05, -1, -0.9, -2, -2.1);
  const t = pcaWordTable({ words: ["a", "b", "c", "d", "e"], vectors: vecs, dim: 2, source: "toy" }, 1);
  assert.equal(t.dim, 1);
  const xs = [...t.vectors];
  assert.ok(xs[2] * xs[4] < 0 && Math.abs(xs[2]) > Math.abs(xs[0]), `projections ${xs}`);
  assert.throws(() => pcaWordTable({ words: ["a"], vectors: Float32Array.of(1, 2), dim: 2, source: "t" }, 3), /outside 1\.\.2/);
});
