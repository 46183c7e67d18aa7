/**
 * Same seed, same numbers: features must not depend on how items were batched or split between workers
 * (the store keeps whichever vector was computed first, so a batch-dependent vector makes a rerun's
 * numbers depend on the cache's history).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import sharp from "sharp";
import { mobileNetV2Encoder, useLiteEncoder } from "../lib/encoders/vision/tfjs_models.ts";
import { extract, storeFor } from "../lib/store/extract.ts";
import { selectTfBackend } from "../lib/runtime/tf_backend.ts";

await selectTfBackend();

const bytesEqual = (a: Float32Array, b: Float32Array) => a.length === b.length && new Uint8Array(a.buffer, a.byteOffset, a.byteLength).every((x, i) => x === new Uint8Array(b.buffer, b.byteOffset, b.byteLength)[i]);

Deno.test("USE-lite: a text's vector is the same whatever it is batched with (texts of many lengths)", async () => {
  const words = ["cat", "dog", "apple", "house", "tree", "red", "small", "smiling", "face", "emoji"];
  const texts = Array.from({ length: 24 }, (_, i) => Array.from({ length: 1 + (i * 5) % 17 }, (_, k) => words[(i * 3 + k * 7) % words.length]).join(" "));
  const big = await useLiteEncoder({ batchSize: 64 }), small = await useLiteEncoder({ batchSize: 3 });
  const all = await big.embed(texts);
  const reversed = (await big.embed([...texts].reverse())).reverse();
  const inThrees = await small.embed(texts);
  const alone: Float32Array[] = [];
  for (const t of texts.slice(0, 6)) alone.push((await big.embed([t]))[0]);
  texts.forEach((t, i) => {
    assert.ok(bytesEqual(all[i], reversed[i]), `"${t}": other order, other vector`);
    assert.ok(bytesEqual(all[i], inThrees[i]), `"${t}": batches of 3, other vector`);
    if (i < 6) assert.ok(bytesEqual(all[i], alone[i]), `"${t}": alone, other vector`);
  });
  big.dispose();
  small.dispose();
});

Deno.test("MobileNetV2 extraction: one batch in one worker and batches of 1 split over 2 workers store the same bytes", async () => {
  const dir = await Deno.makeTempDir();
  const paths: string[] = [];
  for (let i = 0; i < 6; i++) {
    const raw = new Uint8Array(48 * 48 * 3).map((_, k) => (k * (i + 3) * 37) % 251);
    const p = join(dir, `img${i}.png`);
    await sharp(raw, { raw: { width: 48, height: 48, channels: 3 } }).png().toFile(p);
    paths.push(p);
  }
  const items = paths.map((p, i) => ({ id: `img/${i}`, input: p }));
  const enc = await mobileNetV2Encoder({ batchSize: 6 });
  const one = await storeFor(enc, "float32", join(dir, "a"));
  const a = await extract(one, enc, items, { batchSize: 6, progress: false });
  const two = await storeFor(enc, "float32", join(dir, "b"));
  for (const index of [1, 0]) await extract(two, enc, items, { batchSize: 1, progress: false, shard: { index, count: 2 } });
  two.refresh();
  assert.deepEqual(a.keys, (await extract(two, enc, items, { progress: false })).keys, "keys do not depend on the store's history");
  const ma = one.matrix(a.keys), mb = two.matrix(a.keys);
  assert.ok(bytesEqual(ma.data, mb.data), "same images, other batching and worker split, other bytes");
  enc.dispose();
  await Deno.remove(dir, { recursive: true });
});
