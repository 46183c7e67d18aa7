/**
 * `deno task bench`: speed measurements written to `outputs/bench/*.json` and printed as tables.
 * Benchmarks, not tests: nothing here fails on a slow machine.
 *
 * Extraction (`outputs/bench/extraction.json`): per encoder, items/s end to end, the time spent
 * decoding and resizing images, and the feature store's cost; the goal is a pipeline around the model
 * (decode, resize, batching, store) under 20% of the model's own time. Store write and read MB/s.
 *
 *   deno task bench                 # everything
 *   deno task bench extraction      # one group
 */
import { join } from "node:path";
import { projectPaths } from "../lib/runtime/paths.ts";
import { writeJsonAtomic } from "../lib/runtime/atomic.ts";
import { selectTfBackend } from "../lib/runtime/tf_backend.ts";
import { dataset } from "../lib/data/registry.ts";
import { preprocessImage } from "../lib/encoders/image_io.ts";
import { languageEncoder, visionEncoder } from "../lib/encoders/registry.ts";
import { openStore } from "../lib/store/feature_store.ts";
import { table } from "../lib/report/display.ts";

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function time<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t = performance.now();
  const r = await fn();
  return [r, performance.now() - t];
}

/** Extraction speed of each embedded encoder and of the store. */
export async function benchExtraction(): Promise<Record<string, unknown>[]> {
  const backend = await selectTfBackend();
  const rows: Record<string, unknown>[] = [];
  const emoji = await dataset("emoji-google");
  const images = emoji.items.slice(0, 64).map((it) => it.image_path!);
  const root = await Deno.makeTempDir();
  for (const name of ["mobilenet-v2", "inception-v3"]) {
    const enc = await visionEncoder(name);
    const n = name === "inception-v3" ? 16 : 64;
    const batch = images.slice(0, n);
    await enc.embed(batch.slice(0, 4)); // warm-up
    const spec = name === "inception-v3" ? 299 : 224;
    const [, prepMs] = await time(async () => {
      for (const im of batch) await preprocessImage(im, { size: spec, mode: "pad", layout: "hwc" });
    });
    const [vecs, totalMs] = await time(() => enc.embed(batch));
    const store = await openStore({ bench: name, t: Date.now() }, { name: "bench", dim: enc.identity.dim, root });
    const [, storeMs] = await time(() => store.append(vecs.map((v, i) => ({ key: `k${i}`, itemId: `i${i}`, vector: v }))));
    const modelMs = totalMs - prepMs;
    rows.push({
      encoder: name, kind: "image", backend: backend.backend, items: n,
      items_per_s: +(1000 * n / totalMs).toFixed(1),
      model_ms_per_item: +(modelMs / n).toFixed(1),
      decode_resize_ms_per_item: +(prepMs / n).toFixed(2),
      store_ms_per_item: +(storeMs / n).toFixed(3),
      pipeline_overhead_pct: +(100 * (prepMs + storeMs) / modelMs).toFixed(1),
    });
    enc.dispose();
  }
  const texts = emoji.items.slice(0, 512).map((it) => `a drawing of a ${it.class_name}.`);
  for (const name of ["use-lite", "word2vec-100d", "random-word"]) {
    const enc = await languageEncoder(name);
    await enc.embed(texts.slice(0, 8));
    const [vecs, totalMs] = await time(() => enc.embed(texts));
    const store = await openStore({ bench: name, t: Date.now() }, { name: "bench", dim: enc.identity.dim, root });
    const [, storeMs] = await time(() => store.append(vecs.map((v, i) => ({ key: `k${i}`, itemId: `i${i}`, vector: v }))));
    rows.push({
      encoder: name, kind: "text", backend: name === "use-lite" ? backend.backend : "js", items: texts.length,
      items_per_s: +(1000 * texts.length / totalMs).toFixed(1),
      model_ms_per_item: +(totalMs / texts.length).toFixed(3),
      decode_resize_ms_per_item: 0,
      store_ms_per_item: +(storeMs / texts.length).toFixed(4),
      pipeline_overhead_pct: +(100 * storeMs / totalMs).toFixed(1),
    });
    enc.dispose();
  }
  // store throughput on its own: 20,000 x 512 float32 (41 MB)
  const dim = 512, n = 20_000, per = 2_000;
  const store = await openStore({ bench: "store", t: Date.now() }, { name: "bench-store", dim, root });
  const v = new Float32Array(dim).fill(0.5);
  const writes: number[] = [];
  for (let p = 0; p < n / per; p++) {
    const [, ms] = await time(() => store.append(Array.from({ length: per }, (_, i) => ({ key: `s${p}-${i}`, itemId: `${i}`, vector: v }))));
    writes.push(ms);
  }
  const keys = Array.from({ length: n }, (_, i) => `s${Math.floor(i / per)}-${i % per}`);
  const reopened = await openStore(JSON.parse(await Deno.readTextFile(join(store.dir, "identity.json"))).identity, { name: "bench-store", dim, root });
  const [, readMs] = await time(() => Promise.resolve(reopened.matrix(keys)));
  const mb = (n * dim * 4) / 1e6;
  rows.push({ encoder: "feature store", kind: "store", backend: "fs", items: n,
    items_per_s: +(1000 * n / readMs).toFixed(0),
    write_mb_per_s: +(mb / (writes.reduce((a, b) => a + b) / 1000)).toFixed(1),
    read_mb_per_s: +(mb / (readMs / 1000)).toFixed(1),
    median_part_write_ms: +median(writes).toFixed(1) });
  await Deno.remove(root, { recursive: true });
  return rows;
}

if (import.meta.main) {
  const groups = Deno.args.length ? Deno.args : ["extraction"];
  const out = join(projectPaths().outputs, "bench");
  for (const g of groups) {
    if (g !== "extraction") throw new Error(`unknown benchmark group "${g}" (known: extraction)`);
    const rows = await benchExtraction();
    await writeJsonAtomic(join(out, `${g}.json`), { machine: `${Deno.build.os}-${Deno.build.arch}, ${navigator.hardwareConcurrency} cores`, date: new Date().toISOString(), rows });
    console.log(table(rows, { caption: `${g} (${join(out, `${g}.json`)})`, digits: 2 }).bundle["text/plain"]);
  }
}
