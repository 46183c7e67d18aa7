/**
 * The preprocessing A/B of docs/speed.md ("Preprocessing"): in one run, alternated 5 times
 * (medians), the forward pass alone on decoded pixels, end to end with the default preprocessing
 * (`preprocessBatch`: TypeScript for small PNGs), end to end with sharp's whole pipeline (`sharpPixels`),
 * and each preprocessing alone, with wall and CPU milliseconds per image. Same images (emoji-google),
 * batch and threads for all. A benchmark, not a test.
 *
 *   deno run -A scripts/bench_preprocessing.ts mobilenet-v2 2 64    # model, intra-op threads, images
 *   deno run -A scripts/bench_preprocessing.ts inception-v3 2 32
 */
import process from "node:process";
import { dataset } from "../lib/data/registry.ts";
import { embedInBatches, preprocessBatch } from "../lib/images/image_batches.ts";
import { type PreprocessSpec, readImageBytes, sharpPixels, toFloatPixels } from "../lib/images/image_io.ts";
import { onnxVisionModel } from "../lib/encoders/vision/onnx_vision.ts";
import { NSFWJS_VISION, type NsfwjsVisionName } from "../lib/encoders/vision/tfjs_models.ts";
const name = (Deno.args[0] ?? "mobilenet-v2") as NsfwjsVisionName;
if (!(name in NSFWJS_VISION)) throw new Error(`unknown model "${name}" (known: ${Object.keys(NSFWJS_VISION)})`);
const threads = Number(Deno.args[1] ?? 2);
const n = Number(Deno.args[2] ?? 64);
const ds = await dataset("emoji-google");
const images = ds.items.slice(0, n).map((it) => it.image_path!);
const model = await onnxVisionModel(name, { threads });
const plan = model.plan, per = plan.spec.size ** 2 * 3, B = plan.batchSize;
// before: sharp's whole pipeline for every image, then the conversion to floats
const oldPrepare = async (ims: (string | Uint8Array)[], spec: PreprocessSpec) => {
  const flat = new Float32Array(ims.length * per);
  await Promise.all(ims.map(async (im, i) => toFloatPixels(await sharpPixels(await readImageBytes(im), spec), spec, flat.subarray(i * per, (i + 1) * per))));
  return flat;
};
const pixels = await preprocessBatch(images, plan.spec);
const fwd = async () => { for (let s = 0; s < n; s += B) await model.run(pixels.subarray(s * per, Math.min(n, s + B) * per), Math.min(B, n - s)); };
const e2eNew = () => embedInBatches(images, plan, (p, k) => model.run(p, k));
const e2eOld = () => embedInBatches(images, { ...plan, prepare: oldPrepare }, (p, k) => model.run(p, k));
const prepNew = () => preprocessBatch(images, plan.spec);
const prepOld = () => oldPrepare(images, plan.spec);
const fns = { fwd, e2eNew, e2eOld, prepNew, prepOld };
for (const f of Object.values(fns)) await f();
const wall: Record<string, number[]> = {}, cpu: Record<string, number[]> = {};
for (let r = 0; r < 5; r++) for (const [k, f] of Object.entries(fns)) {
  const c0 = process.cpuUsage(); const t = performance.now(); await f();
  (wall[k] ??= []).push(performance.now() - t); const c = process.cpuUsage(c0); (cpu[k] ??= []).push((c.user + c.system) / 1000);
}
const med = (x: number[]) => [...x].sort((a, b) => a - b)[Math.floor(x.length / 2)];
const rows = Object.keys(fns).map((k) => ({ what: k, images_per_s: +(1000 * n / med(wall[k])).toFixed(1), wall_ms_per_image: +(med(wall[k]) / n).toFixed(2), cpu_ms_per_image: +(med(cpu[k]) / n).toFixed(2), overhead_pct: k.startsWith("e2e") ? +((med(wall[k]) / med(wall.fwd) - 1) * 100).toFixed(1) : undefined }));
console.log(JSON.stringify({ name, threads, n, load: Deno.loadavg() }));
console.table(rows);
await model.release();
