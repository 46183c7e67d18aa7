import assert from "node:assert/strict";
import sharp from "sharp";
import { join } from "node:path";
import { hfTextEncoder, hfVisionEncoder, poolTokens } from "../lib/encoders/hf/hf.ts";
import { IMAGENET_MEAN, IMAGENET_STD } from "../lib/images/image_io.ts";
import { positionRow, tokenRow, writeTinyTextModel, writeTinyVisionModel } from "./fixtures/tiny_hf.ts";

const add = (a: number[], b: number[]) => a.map((x, i) => x + b[i]);
const close = (a: ArrayLike<number>, b: number[], msg: string, tol = 1e-4) =>
  b.forEach((x, i) => assert.ok(Math.abs(a[i] - x) < tol, `${msg}: got [${Array.from(a)}], want [${b}]`));

Deno.test("poolTokens: last-token and cls follow the mask on either padding side; mean is masked", () => {
  // two rows, three tokens, hidden 1: values = 10*row + position
  const hidden = Float32Array.from([0, 1, 2, 10, 11, 12]);
  const left = [1, 1, 1, 0, 0, 1], right = [1, 1, 1, 1, 0, 0];
  assert.deepEqual(poolTokens(hidden, left, [2, 3, 1], "last-token").map((v) => v[0]), [2, 12]);
  assert.deepEqual(poolTokens(hidden, right, [2, 3, 1], "last-token").map((v) => v[0]), [2, 10]);
  assert.deepEqual(poolTokens(hidden, left, [2, 3, 1], "cls").map((v) => v[0]), [0, 12]);
  assert.deepEqual(poolTokens(hidden, right, [2, 3, 1], "mean").map((v) => v[0]), [1, 10]);
  assert.throws(() => poolTokens(hidden, [1, 1, 1, 0, 0, 0], [2, 3, 1], "mean"), /row 1 has no attended token/);
});

Deno.test("hfTextEncoder: last-token pooling pads on the LEFT and takes each text's last real token", async () => {
  const dir = await Deno.makeTempDir();
  await writeTinyTextModel(dir);
  const enc = await hfTextEncoder({ model: "tiny-text", localModelPath: dir, allowRemote: false, pooling: "last-token" });
  assert.equal(enc.identity.dim, 4);
  assert.match(enc.identity.pooling, /left/);
  const [long, short] = await enc.embed(["a red apple", "cat"]);
  close(long, add(tokenRow(6), positionRow(2)), "apple at position 2");
  close(short, add(tokenRow(7), positionRow(2)), "cat left-padded to position 2");
});

Deno.test("hfTextEncoder: mean and cls pooling pad on the right and respect the mask", async () => {
  const dir = await Deno.makeTempDir();
  await writeTinyTextModel(dir);
  const mean = await hfTextEncoder({ model: "tiny-text", localModelPath: dir, allowRemote: false, pooling: "mean" });
  const [m1, m2] = await mean.embed(["a red apple", "cat"]);
  const avg = [0, 1, 2].map((t) => add(tokenRow(4 + t), positionRow(t))).reduce((a, b) => add(a, b)).map((x) => x / 3);
  close(m1, avg, "mean of three tokens");
  close(m2, add(tokenRow(7), positionRow(0)), "padding ignored");
  const cls = await hfTextEncoder({ model: "tiny-text", localModelPath: dir, allowRemote: false, pooling: "cls" });
  close((await cls.embed(["red apple"]))[0], add(tokenRow(5), positionRow(0)), "first token");
  await assert.rejects(() => mean.embed(["ok", "  "]), /empty text at position 1/);
});

Deno.test("hfTextEncoder: a tokenizer without a pad token pads with eos", async () => {
  const dir = await Deno.makeTempDir();
  await writeTinyTextModel(dir, "no-pad", false);
  const enc = await hfTextEncoder({ model: "no-pad", localModelPath: dir, allowRemote: false, pooling: "last-token" });
  assert.match(enc.identity.pooling, /pad=\[SEP\]/);
  const [, short] = await enc.embed(["a red apple", "cat"]);
  close(short, add(tokenRow(7), positionRow(2)), "cat after eos padding");
});

Deno.test("hf encoders: a missing model is a clear error naming the folder", async () => {
  const dir = await Deno.makeTempDir();
  await assert.rejects(
    () => hfTextEncoder({ model: "org/absent", localModelPath: dir, allowRemote: false, pooling: "mean" }),
    (err: Error) => err.message.includes(`"org/absent"`) && err.message.includes(join(dir, "org/absent")) && /offline/.test(err.message),
  );
});

Deno.test("hfVisionEncoder: CLS token of a DINOv2-style model after resize 256 / crop 224 / ImageNet normalisation", async () => {
  const dir = await Deno.makeTempDir();
  await writeTinyVisionModel(dir);
  const png = join(dir, "red.png");
  await sharp({ create: { width: 300, height: 200, channels: 3, background: { r: 255, g: 0, b: 0 } } }).png().toFile(png);
  const enc = await hfVisionEncoder({ model: "tiny-vision", localModelPath: dir, allowRemote: false });
  assert.equal(enc.identity.dim, 3);
  assert.match(enc.identity.preprocessing, /resize 256, centre-crop 224/);
  const [v] = await enc.embed([png]);
  close(v, [0, 1, 2].map((c) => ([1, 0, 0][c] - IMAGENET_MEAN[c]) / IMAGENET_STD[c]), "normalised red", 1e-3);
  const mean = await hfVisionEncoder({ model: "tiny-vision", localModelPath: dir, allowRemote: false, pooling: "mean" });
  close((await mean.embed([png]))[0], Array.from(v).map((x) => -x), "patch-token mean", 1e-3);
  await Deno.writeTextFile(join(dir, "broken.png"), "not a png");
  await assert.rejects(() => enc.embed([join(dir, "broken.png")]), /cannot decode image .*broken\.png/);
});
