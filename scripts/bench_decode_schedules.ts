/**
 * The decoding schedules of the image batch loop side by side, in one process (docs/speed.md, "Decoding
 * schedules"): the forward pass alone on decoded pixels, and the nsfwjs
 * encoder end to end with each decoding plan of `decode_pool.ts`:
 *   phased-pool   decode on cores - 1 threads + the caller, then run (the CPU default)
 *   phased-caller decode on the calling thread, then run
 *   lookahead     decode the next batch on the calling thread, ahead of the run (the loop before the pool;
 *                 onnxruntime-node's run holds that thread, so this overlaps nothing)
 *   overlap-pool  decode the next batch on 1 thread while the model runs (the GPU default)
 * ROUNDS rounds (default 9) run every variant once, in alternating order; each variant's overhead is the
 * median over rounds of its time over the same round's forward pass, with the interquartile range.
 * A benchmark, not a test.
 *
 *   deno run -A scripts/bench_decode_schedules.ts mobilenet-v2 2 128               # model, intra-op threads, images
 *   deno run -A scripts/bench_decode_schedules.ts mobilenet-v2 1 128 openclipart   # and the dataset (default emoji-google)
 */
import process from "node:process";
import { dataset } from "../lib/data/registry.ts";
import { preprocessBatch } from "../lib/images/image_batches.ts";
import { onnxVisionEncoder, onnxVisionModel } from "../lib/encoders/vision/onnx_vision.ts";
import { NSFWJS_VISION, type NsfwjsVisionName } from "../lib/encoders/vision/tfjs_models.ts";

const name = (Deno.args[0] ?? "mobilenet-v2") as NsfwjsVisionName;
if (!(name in NSFWJS_VISION)) throw new Error(`unknown model "${name}" (known: ${Object.keys(NSFWJS_VISION)})`);
const threads = Number(Deno.args[1] ?? 2), n = Number(Deno.args[2] ?? 128), rounds = Number(Deno.env.get("ROUNDS") ?? 9);
const images = (await dataset(Deno.args[3] ?? "emoji-google")).items.filter((it) => it.image_path).slice(0, n).map((it) => it.image_path!);
const model = await onnxVisionModel(name, { threads });
const per = model.plan.spec.size ** 2 * 3, B = model.plan.batchSize;
const pixels = await preprocessBatch(images, model.plan.spec);
const encoders = {
  "phased-pool": await onnxVisionEncoder(name, { threads }),
  "phased-caller": await onnxVisionEncoder(name, { threads, decode: { schedule: "phased", threads: 0, mainThread: true } }),
  lookahead: await onnxVisionEncoder(name, { threads, decode: { schedule: "overlap", threads: 0, mainThread: true } }),
  "overlap-pool": await onnxVisionEncoder(name, { threads, decode: { schedule: "overlap", threads: 1, mainThread: false } }),
};
const forward = async () => {
  for (let s = 0; s < n; s += B) await model.run(pixels.subarray(s * per, Math.min(n, s + B) * per), Math.min(B, n - s));
};
const variants: Record<string, () => Promise<unknown>> = { forward, ...Object.fromEntries(Object.entries(encoders).map(([k, e]) => [k, () => e.embed(images)])) };
for (const f of Object.values(variants)) await f(); // warm-up: every path compiled
const wall: Record<string, number[]> = {}, cpu: Record<string, number[]> = {};
for (let r = 0; r < rounds; r++) {
  const order = r % 2 ? Object.entries(variants).reverse() : Object.entries(variants);
  for (const [k, f] of order) {
    const c0 = process.cpuUsage(), t = performance.now();
    await f();
    (wall[k] ??= []).push(performance.now() - t);
    const c = process.cpuUsage(c0);
    (cpu[k] ??= []).push((c.user + c.system) / 1000);
  }
}
const sorted = (x: number[]) => [...x].sort((a, b) => a - b);
const q = (x: number[], p: number) => sorted(x)[Math.min(x.length - 1, Math.floor(p * x.length))];
console.log(JSON.stringify({ name, threads, images: n, dataset: Deno.args[3] ?? "emoji-google", batch: B, rounds, load: Deno.loadavg() }));
console.table(Object.keys(variants).map((k) => {
  const ratios = wall[k].map((w, i) => 100 * (w / wall.forward[i] - 1));
  return {
    variant: k, images_per_s: +(1000 * n / q(wall[k], 0.5)).toFixed(1), cpu_ms_per_image: +(q(cpu[k], 0.5) / n).toFixed(2),
    overhead_pct: +q(ratios, 0.5).toFixed(1), iqr_pct: `[${q(ratios, 0.25).toFixed(1)}, ${q(ratios, 0.75).toFixed(1)}]`,
  };
}));
for (const e of Object.values(encoders)) e.dispose();
await model.release();
