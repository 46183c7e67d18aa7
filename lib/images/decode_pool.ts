/**
 * Image decoding on threads of their own. onnxruntime-node's `session.run` blocks the calling thread
 * for the whole forward pass, so decoding on that thread can never overlap the model; decoding threads
 * (`node:worker_threads`) can. A pool splits each batch into contiguous chunks, one per thread (and
 * one for the calling thread when `mainThread` is set). A thread does the costly half of preprocessing
 * (`decodeImage`: PNG inflate or sharp, compositing, resizing) and hands back 8-bit pixels (a third of
 * the floats' size, transferred, not copied); the calling thread writes them as normalised floats
 * (`toFloatPixels`) straight into the batch, so the result is `preprocessBatch`'s, bit for bit, and a
 * batch buffer can be reused (`into`) instead of being allocated and paged in for every batch. Errors
 * name the image, as on the calling thread. Idle threads do not keep the process alive.
 *
 * How a batch loop should use the pool depends on where the model runs ({@link decodePlanFor}): on a GPU
 * the pool decodes the next batch while the device runs the current one ("overlap"); on the CPU the
 * forward pass already fills every core with intra-op threads, so decoding in parallel with it only
 * makes those threads wait for each other, and the pool instead decodes between forward passes on every
 * core ("phased").
 *
 * @example
 * ```ts
 * import type { PreprocessSpec } from "./image_io.ts";
 * const spec: PreprocessSpec = { size: 224, mode: "pad", layout: "hwc" };
 * const pool = decodePool({ threads: 1, mainThread: true });
 * const pixels = await pool.prepare(["a.png", "b.png"], spec);   // Float32Array(2 * 224 * 224 * 3)
 * pool.close();
 * ```
 */
import { Worker } from "node:worker_threads";
import { preprocessBatch } from "./image_batches.ts";
import { imageRefLabel, type PreprocessSpec, toFloatPixels } from "./image_io.ts";
import type { OnnxDevice } from "../runtime/onnx_device.ts";
import type { ImageInput } from "../data/image_ref.ts";

/** How a batch loop schedules decoding against the forward pass. */
export type BatchSchedule = "overlap" | "phased";

/** Threads that turn batches of images into model input. */
export interface DecodePool {
  /** Decoding threads besides the caller's. */
  readonly threads: number;
  /** Whether the calling thread decodes a chunk too. */
  readonly mainThread: boolean;
  /**
   * The pixels of `images`, laid out as `preprocessBatch` lays them out, written into `into` when given
   * (length `images.length * size * size * 3`) and returned.
   */
  prepare(images: ImageInput[], spec: PreprocessSpec, into?: Float32Array): Promise<Float32Array>;
  /** Ends the threads; pending batches are rejected. */
  close(): void;
}

/** Options of {@link decodePool}. */
export interface DecodePoolOptions {
  /** Decoding threads to start (0: decode on the calling thread only). */
  threads: number;
  /** Decode a chunk of each batch on the calling thread too (default false). */
  mainThread?: boolean;
}

/** Where and how a batch loop decodes: the schedule and the pool's shape. Pure. */
export interface DecodePlan {
  schedule: BatchSchedule;
  threads: number;
  mainThread: boolean;
}

/**
 * The decoding plan for a model on `device` with `cores` CPU cores: on the CPU, "phased" with
 * cores - 1 threads plus the caller (every core decodes, then every core runs the model); on a GPU,
 * "overlap" with cores - 1 threads (at least 1), the caller being blocked in the forward pass. Pure.
 *
 * @example
 * ```ts
 * decodePlanFor("cpu", 2);      // { schedule: "phased", threads: 1, mainThread: true }
 * decodePlanFor("webgpu", 8);   // { schedule: "overlap", threads: 7, mainThread: false }
 * ```
 */
export function decodePlanFor(device: OnnxDevice, cores: number): DecodePlan {
  const others = Math.max(0, Math.floor(cores) - 1);
  return device === "cpu" ? { schedule: "phased", threads: others, mainThread: true } : { schedule: "overlap", threads: Math.max(1, others), mainThread: false };
}

interface Request { id: number; images: ImageInput[]; spec: PreprocessSpec }
type Reply = { id: number; pixels: Uint8Array[] } | { id: number; error: string };

/** One decoding thread: requests answered in order; ref'd only while a request is pending. */
function decodeThread() {
  const worker = new Worker(new URL("./decode_worker_main.ts", import.meta.url));
  worker.unref();
  const pending = new Map<number, { resolve: (p: Uint8Array[]) => void; reject: (e: Error) => void }>();
  let next = 0, closed = false;
  const failAll = (msg: string) => {
    for (const p of pending.values()) p.reject(new Error(msg));
    pending.clear();
    worker.unref();
  };
  worker.on("message", (r: Reply) => {
    const p = pending.get(r.id);
    if (!p) return;
    pending.delete(r.id);
    if (!pending.size) worker.unref();
    if ("error" in r) p.reject(new Error(r.error));
    else p.resolve(r.pixels);
  });
  worker.on("error", (err: Error) => failAll(`image decoding thread failed: ${err.message}`));
  worker.on("exit", (code: number) => { if (!closed) failAll(`image decoding thread exited (code ${code})`); });
  return {
    /** 8-bit pixels of each image (`decodeImage`). */
    decode(images: ImageInput[], spec: PreprocessSpec): Promise<Uint8Array[]> {
      if (closed) return Promise.reject(new Error("image decoding thread is closed"));
      const id = next++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        worker.ref();
        worker.postMessage({ id, images, spec } satisfies Request);
      });
    },
    close() {
      if (closed) return;
      closed = true;
      failAll("image decoding thread is closed");
      void worker.terminate();
    },
  };
}

/** Contiguous chunk bounds splitting `n` items into at most `parts` non-empty chunks. Pure. */
export function chunkBounds(n: number, parts: number): [number, number][] {
  const k = Math.max(1, Math.min(parts, n)), size = Math.ceil(n / k), out: [number, number][] = [];
  for (let s = 0; s < n; s += size) out.push([s, Math.min(n, s + size)]);
  return out;
}

/** Start a pool of decoding threads (none when `threads` is 0: the caller decodes everything). */
export function decodePool(opts: DecodePoolOptions): DecodePool {
  const threads = Math.max(0, Math.floor(opts.threads));
  const mainThread = opts.mainThread ?? false;
  if (!threads) return { threads: 0, mainThread: true, prepare: preprocessBatch, close() {} };
  const workers = Array.from({ length: threads }, decodeThread);
  return {
    threads,
    mainThread,
    async prepare(images, spec, into) {
      const per = spec.size * spec.size * 3;
      if (into && into.length !== images.length * per) throw new Error(`decodePool: target holds ${into.length} values, ${images.length} images need ${images.length * per}`);
      const flat = into ?? new Float32Array(images.length * per);
      const parts = chunkBounds(images.length, threads + (mainThread ? 1 : 0));
      await Promise.all(parts.map(async ([s, e], i) => {
        // the caller takes the last chunk and decodes it in place
        if (mainThread && i === parts.length - 1) return void await preprocessBatch(images.slice(s, e), spec, flat.subarray(s * per, e * per));
        const pixels = await workers[i].decode(images.slice(s, e), spec);
        pixels.forEach((px, j) => toFloatPixels(px, spec, flat.subarray((s + j) * per, (s + j + 1) * per), `image ${imageRefLabel(images[s + j])}`));
      }));
      return flat;
    },
    close() {
      for (const w of workers) w.close();
    },
  };
}
