/**
 * Decoding threads (`lib/images/decode_pool.ts`) and the batch loop's schedules: the pool gives the
 * calling thread's pixels bit for bit (small PNGs through the TypeScript path, a large one through
 * sharp, images as paths and as bytes), errors name the image, a closed pool rejects, an idle pool does
 * not keep a process alive, and "phased" never prepares a batch while the model runs.
 */
import assert from "node:assert/strict";
import sharp from "sharp";
import { join } from "node:path";
import { chunkBounds, decodePlanFor, decodePool } from "../lib/images/decode_pool.ts";
import { embedInBatches, preprocessBatch } from "../lib/images/image_batches.ts";
import type { PreprocessSpec } from "../lib/images/image_io.ts";
import type { ImageInput } from "../lib/encoders/types.ts";

/** Seven PNGs made here: 64x64 and 40x24 drawings with alpha (TypeScript path) and a 300x200 one (sharp). */
async function images(dir: string): Promise<string[]> {
  const sizes: [number, number][] = [[64, 64], [40, 24], [64, 64], [300, 200], [64, 64], [40, 24], [64, 64]];
  return await Promise.all(sizes.map(async ([w, h], k) => {
    const rgba = Uint8Array.from({ length: w * h * 4 }, (_, i) => (i * (13 + k) + Math.floor(i / (w * 4)) * 29) % 256);
    const file = join(dir, `img${k}.png`);
    await Deno.writeFile(file, await sharp(rgba, { raw: { width: w, height: h, channels: 4 } }).png().toBuffer());
    return file;
  }));
}

Deno.test("chunkBounds and decodePlanFor: known values", () => {
  assert.deepEqual(chunkBounds(7, 2), [[0, 4], [4, 7]]);
  assert.deepEqual(chunkBounds(7, 3), [[0, 3], [3, 6], [6, 7]]);
  assert.deepEqual(chunkBounds(2, 5), [[0, 1], [1, 2]]);
  assert.deepEqual(chunkBounds(0, 3), []);
  assert.deepEqual(decodePlanFor("cpu", 2), { schedule: "phased", threads: 1, mainThread: true });
  assert.deepEqual(decodePlanFor("cpu", 1), { schedule: "phased", threads: 0, mainThread: true });
  assert.deepEqual(decodePlanFor("webgpu", 8), { schedule: "overlap", threads: 7, mainThread: false });
  assert.deepEqual(decodePlanFor("cuda", 1), { schedule: "overlap", threads: 1, mainThread: false });
});

Deno.test("decodePool: the calling thread's pixels bit for bit, on threads with and without the caller; errors name the image", async () => {
  const dir = await Deno.makeTempDir();
  const files = await images(dir);
  const bytes = await Deno.readFile(files[1]);
  const inputs: ImageInput[] = [...files, bytes];
  for (const spec of [{ size: 224, mode: "pad", layout: "hwc" }, { size: 96, mode: "crop", resize: 110, mean: [0.5, 0.4, 0.3], std: [0.2, 0.25, 0.3], layout: "chw" }] as PreprocessSpec[]) {
    const want = await preprocessBatch(inputs, spec);
    for (const opts of [{ threads: 2, mainThread: true }, { threads: 1 }, { threads: 0 }]) {
      const pool = decodePool(opts);
      try {
        const got = await pool.prepare(inputs, spec);
        assert.equal(got.length, want.length);
        assert.ok(got.every((v, i) => Object.is(v, want[i])), `pixels differ (${JSON.stringify(opts)}, ${spec.mode})`);
        // into a reused buffer: the same pixels, in that buffer
        const into = new Float32Array(want.length).fill(-7);
        assert.equal(await pool.prepare(inputs, spec, into), into);
        assert.ok(into.every((v, i) => Object.is(v, want[i])), "pixels differ when written into a buffer");
        await assert.rejects(pool.prepare(inputs, spec, new Float32Array(5)), /target holds 5 values/);
        // a batch smaller than the pool
        assert.deepEqual(await pool.prepare(inputs.slice(0, 1), spec), want.subarray(0, spec.size * spec.size * 3));
        await assert.rejects(pool.prepare([files[0], join(dir, "missing.png")], spec), /missing\.png/);
        // the pool still works after an error
        assert.deepEqual(await pool.prepare(inputs.slice(2, 3), spec), await preprocessBatch(inputs.slice(2, 3), spec));
      } finally {
        pool.close();
      }
    }
  }
  const pool = decodePool({ threads: 1 });
  pool.close();
  await assert.rejects(pool.prepare(files.slice(0, 1), { size: 32, mode: "pad", layout: "hwc" }), /closed/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("decodePool: an idle pool that is never closed does not keep a process alive", async () => {
  const dir = await Deno.makeTempDir();
  const [file] = await images(dir);
  const script = join(dir, "open_pool.ts");
  await Deno.writeTextFile(script, `import { decodePool } from ${JSON.stringify(new URL("../lib/images/decode_pool.ts", import.meta.url).href)};
const pool = decodePool({ threads: 2 });
const px = await pool.prepare([${JSON.stringify(file)}], { size: 32, mode: "pad", layout: "hwc" });
console.log(px.length);`);
  const out = await new Deno.Command(Deno.execPath(), { args: ["run", "-A", "--config", new URL("../deno.json", import.meta.url).pathname, script], stdout: "piped", stderr: "piped", signal: AbortSignal.timeout(60_000) }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  assert.equal(new TextDecoder().decode(out.stdout).trim(), String(32 * 32 * 3));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("batch loop, phased schedule: each batch is prepared, then run, never both at once; order kept", async () => {
  const log: string[] = [];
  const spec = { size: 1, mode: "pad" as const, layout: "hwc" as const };
  const names = ["a", "b", "c", "d", "e"];
  let running = false;
  const prepare = async (batch: ImageInput[]) => {
    assert.ok(!running, "prepared while the model ran");
    log.push(`prep ${batch.join("")}`);
    await new Promise((r) => setTimeout(r, 5));
    return Float32Array.from(batch.flatMap((b) => [String(b).charCodeAt(0), 0, 0]));
  };
  const model = async (pixels: Float32Array, n: number) => {
    running = true;
    log.push(`run ${n}`);
    await new Promise((r) => setTimeout(r, 10));
    running = false;
    return Float32Array.from({ length: n }, (_, i) => pixels[3 * i]);
  };
  const out = await embedInBatches(names, { spec, batchSize: 2, dim: 1, prepare, schedule: "phased" }, model);
  assert.deepEqual(out.map((v) => String.fromCharCode(v[0])), names);
  assert.deepEqual(log, ["prep ab", "run 2", "prep cd", "run 2", "prep e", "run 1"]);
  await assert.rejects(embedInBatches(["a"], { spec, batchSize: 2, dim: 2, prepare, schedule: "phased" }, model), /returned 1 values for 1 images of dimension 2/);
});
