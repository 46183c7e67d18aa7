/**
 * One process of the extraction bench's worker rows (`deno task bench extraction`): loads a converted
 * nsfwjs vision encoder on onnxruntime with the given intra-op threads (`e2e`: the encoder as extraction
 * runs it, decoding included; `forward`: the forward pass alone on decoded pixels), warms it up, prints `ready`,
 * waits for a line on standard input, then times one pass over its images and prints one JSON line
 * `{ ms, cpu_ms, images }`. The bench starts several at once and releases them together, as
 * `deno task extract` runs its workers. A benchmark helper, not a test.
 *
 *   deno run -A scripts/bench_vision_procs.ts mobilenet-v2 e2e 256 1 0   # model, e2e | forward, images, threads, offset
 */
import process from "node:process";
import { dataset } from "../lib/data/registry.ts";
import { preprocessBatch } from "../lib/images/image_batches.ts";
import { onnxVisionEncoder, onnxVisionModel } from "../lib/encoders/vision/onnx_vision.ts";
import { NSFWJS_VISION, type NsfwjsVisionName } from "../lib/encoders/vision/tfjs_models.ts";

const [name, mode, count, threadArg, offsetArg] = Deno.args;
if (!(name in NSFWJS_VISION)) throw new Error(`unknown model "${name}" (known: ${Object.keys(NSFWJS_VISION)})`);
if (mode !== "e2e" && mode !== "forward") throw new Error(`mode "${mode}": expected e2e or forward`);
const n = Number(count), offset = Number(offsetArg ?? 0);
const images = (await dataset("emoji-google")).items.slice(offset, offset + n).map((it) => it.image_path!);
const threads = Number(threadArg);
const model = await onnxVisionModel(name as NsfwjsVisionName, { threads });
const encoder = await onnxVisionEncoder(name as NsfwjsVisionName, { threads }); // the extraction's own pipeline
const plan = model.plan, per = plan.spec.size ** 2 * 3, B = plan.batchSize;
const pixels = await preprocessBatch(images, plan.spec);
const forward = async () => { for (let s = 0; s < n; s += B) await model.run(pixels.subarray(s * per, Math.min(n, s + B) * per), Math.min(B, n - s)); };
const pass = mode === "forward" ? forward : () => encoder.embed(images).then(() => {});
// warm-up: a whole pass of each, so that the decoding code is compiled (as it is in a long extraction)
await forward();
await encoder.embed(images);
console.log("ready");
for await (const _ of Deno.stdin.readable) break;
const c0 = process.cpuUsage(), t = performance.now();
await pass();
const ms = performance.now() - t, c = process.cpuUsage(c0);
console.log(JSON.stringify({ ms, cpu_ms: (c.user + c.system) / 1000, images: n }));
encoder.dispose();
await model.release();
