/**
 * Preprocessing without sharp's per-call cost: the TypeScript PNG decoder (`png_pixels.ts`) and the
 * enlargement of sharp's `fit: "contain"` linear resize (`vips_upscale.ts`) give sharp's own bytes, on
 * synthetic images made here and on real images of every embedded dataset; what they do not cover falls
 * back to sharp.
 */
import assert from "node:assert/strict";
import sharp from "sharp";
import { containUpscale, pngSize, upscaleCovered } from "../lib/images/vips_upscale.ts";
import { decodePngOnWhite } from "../lib/images/png_pixels.ts";
import { preprocessImage, sharpPixels, upscaleMatchesSharp } from "../lib/images/image_io.ts";
import { NSFWJS_VISION } from "../lib/encoders/vision/tfjs_models.ts";
import { EMBEDDED_PLAN } from "../lib/config.ts";
import { dataset } from "../lib/data/registry.ts";
import { seededRandom } from "../lib/runtime/random.ts";

const rng = seededRandom(12);
const bytesOf = (n: number) => Uint8Array.from({ length: n }, () => Math.floor(rng.next() * 256));
const sharpContain = (rgb: Uint8Array, w: number, h: number, size: number) =>
  sharp(rgb, { raw: { width: w, height: h, channels: 3 } }).resize(size, size, { fit: "contain", background: "#ffffff", kernel: "linear" }).raw().toBuffer();
const firstDiff = (a: Uint8Array, b: Uint8Array) => a.findIndex((v, i) => v !== b[i]);

Deno.test("containUpscale: sharp's bytes for square and non-square enlargements at integer and fractional scales", async () => {
  assert.ok(await upscaleMatchesSharp(), "the libvips here matches the TypeScript enlargement");
  for (const [w, h, size] of [[64, 64, 224], [64, 64, 299], [28, 28, 224], [60, 45, 224], [17, 200, 224], [1, 1, 8], [5, 3, 299], [223, 100, 224]]) {
    assert.ok(upscaleCovered(w, h, size));
    const rgb = bytesOf(w * h * 3);
    const ref = new Uint8Array(await sharpContain(rgb, w, h, size));
    const mine = containUpscale(rgb, w, h, size, 255);
    assert.equal(mine.length, ref.length);
    assert.equal(firstDiff(mine, ref), -1, `${w}x${h} -> ${size}: first differing byte`);
  }
  assert.ok(!upscaleCovered(224, 100, 224) && !upscaleCovered(300, 10, 224), "no enlargement: not covered");
  assert.throws(() => containUpscale(new Uint8Array(12), 2, 2, 2, 255), /not an enlargement/);
  assert.throws(() => containUpscale(new Uint8Array(11), 2, 2, 8, 255), /11 bytes/);
});

Deno.test("decodePngOnWhite: sharp's flattened bytes for RGBA, RGB, grey, grey + alpha and palette PNGs; other kinds and bad CRCs are left to sharp", async () => {
  const w = 23, h = 17;
  const rgba = bytesOf(w * h * 4);
  const cases: [string, Promise<Buffer>][] = [
    ["rgba", sharp(rgba, { raw: { width: w, height: h, channels: 4 } }).png().toBuffer()],
    ["rgb", sharp(rgba, { raw: { width: w, height: h, channels: 4 } }).removeAlpha().png().toBuffer()],
    ["grey", sharp(rgba, { raw: { width: w, height: h, channels: 4 } }).removeAlpha().greyscale().png().toBuffer()],
    ["grey + alpha", sharp(rgba, { raw: { width: w, height: h, channels: 4 } }).greyscale().png().toBuffer()],
    ["palette + tRNS", sharp(rgba, { raw: { width: w, height: h, channels: 4 } }).png({ palette: true, colours: 200, dither: 0 }).toBuffer()],
  ];
  for (const [kind, made] of cases) {
    const png = new Uint8Array(await made);
    const mine = decodePngOnWhite(png, 255);
    assert.ok(mine, `${kind}: covered`);
    const ref = await sharp(png).flatten({ background: "#ffffff" }).toColourspace("srgb").raw().toBuffer();
    assert.deepEqual([mine.width, mine.height], [w, h]);
    assert.equal(firstDiff(mine.rgb, new Uint8Array(ref)), -1, `${kind}: first differing byte`);
    assert.deepEqual(pngSize(png), { width: w, height: h });
  }
  const png = new Uint8Array(await cases[0][1]);
  const bad = png.slice();
  bad[bad.length - 20] ^= 0xff; // inside the last IDAT: its CRC no longer matches
  assert.equal(decodePngOnWhite(bad, 255), undefined, "bad CRC");
  const deep = new Uint8Array(await sharp(rgba, { raw: { width: w, height: h, channels: 4 } }).png().toColourspace("rgb16").toBuffer());
  assert.equal(decodePngOnWhite(deep, 255), undefined, "16-bit");
  assert.equal(decodePngOnWhite(new Uint8Array(await sharp(rgba, { raw: { width: w, height: h, channels: 4 } }).jpeg().toBuffer()), 255), undefined, "JPEG");
  // a corrupt small PNG still fails with sharp's error, naming the image
  await assert.rejects(preprocessImage(bad, NSFWJS_VISION["mobilenet-v2"].spec), /cannot decode image <\d+ bytes>/);
});

Deno.test("preprocessing: the same pixels as sharp's pipeline on real images of every embedded dataset, for both vision encoders", async () => {
  const names = [...new Set(EMBEDDED_PLAN.images.flatMap((j) => j.datasets))];
  let fast = 0;
  for (const name of names) {
    const items = (await dataset(name)).items.filter((it) => it.image_path);
    // 12 images spread over the dataset
    const picked = Array.from({ length: 12 }, (_, i) => items[Math.floor((i * items.length) / 12)].image_path!);
    for (const model of ["mobilenet-v2", "inception-v3"] as const) {
      const spec = NSFWJS_VISION[model].spec;
      for (const path of picked) {
        const bytes = await Deno.readFile(path);
        const dims = pngSize(bytes);
        if (dims && upscaleCovered(dims.width, dims.height, spec.size)) fast++;
        const ref = await sharpPixels(bytes, spec);
        const lut = Float32Array.from({ length: 256 }, (_, x) => x / 255);
        const want = ref.length === spec.size ** 2 ? Float32Array.from({ length: ref.length * 3 }, (_, i) => lut[ref[Math.floor(i / 3)]]) : Float32Array.from(ref, (v) => lut[v]);
        const got = await preprocessImage(path, spec);
        assert.equal(got.findIndex((v, i) => v !== want[i]), -1, `${name} ${path} (${model}): first differing value`);
      }
    }
  }
  assert.ok(fast > 100, `most images take the TypeScript path (${fast})`);
});
