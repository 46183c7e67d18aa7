/**
 * The machine's ceiling for training arithmetic: the rate of onnxruntime's own MatMul (the kernels the
 * step graph runs on) on products large enough to run at its best, with the cores training would use.
 * Work (`work.ts`) divided by this rate is a floor on training time; a step's rate divided by it says how
 * near the machine that step runs.
 *
 * @example
 * ```ts
 * import { matmulCeiling } from "./matmul_ceiling.ts";
 * const { gflops, shape } = await matmulCeiling({ threads: 2, sizes: [[256, 256, 256]], repeats: 2 });
 * ```
 * @module
 */
import * as ort from "onnxruntime-node";
import { GraphBuilder } from "../onnx/proto.ts";
import { ortSessionOptions } from "../runtime/onnx_device.ts";

/** Products timed by default: the paper MLP's largest (batch 1024, 4096 x 4096) and two smaller ones. */
export const CEILING_SIZES: readonly (readonly [number, number, number])[] = [[1024, 4096, 4096], [1024, 1024, 4096], [512, 512, 1792]];

/** The best rate measured, the product that reached it, and every product's rate. */
export interface MatmulCeiling {
  gflops: number;
  /** `m x k x n` of the fastest product. */
  shape: string;
  threads: number;
  rates: { shape: string; gflops: number; ms: number }[];
}

/**
 * GFLOP/s of onnxruntime's MatMul ([m, k] x [k, n], float32) on `threads` intra-op threads (default:
 * every core): for each size the median of `repeats` timed products after one warm-up; the ceiling is
 * the fastest size's rate.
 */
export async function matmulCeiling(opts: { threads?: number; sizes?: readonly (readonly [number, number, number])[]; repeats?: number } = {}): Promise<MatmulCeiling> {
  const threads = opts.threads ?? navigator.hardwareConcurrency, repeats = opts.repeats ?? 7;
  const rates: MatmulCeiling["rates"] = [];
  for (const [m, k, n] of opts.sizes ?? CEILING_SIZES) {
    const g = new GraphBuilder();
    g.output(g.op("MatMul", [g.input("a", "float32", [m, k]), g.input("b", "float32", [k, n])]), "y");
    const session = await ort.InferenceSession.create(g.model("matmul"), ortSessionOptions("cpu", { threads }));
    try {
      const feeds = {
        a: new ort.Tensor("float32", Float32Array.from({ length: m * k }, (_, i) => ((i * 7) % 13) / 13 - 0.5), [m, k]),
        b: new ort.Tensor("float32", Float32Array.from({ length: k * n }, (_, i) => ((i * 5) % 11) / 11 - 0.5), [k, n]),
      };
      await session.run(feeds);
      const times: number[] = [];
      for (let r = 0; r < repeats; r++) {
        const t = performance.now();
        await session.run(feeds);
        times.push(performance.now() - t);
      }
      times.sort((a, b) => a - b);
      const ms = times[Math.floor(times.length / 2)];
      rates.push({ shape: `${m} x ${k} x ${n}`, gflops: +((2 * m * k * n) / ms / 1e6).toFixed(1), ms: +ms.toFixed(3) });
    } finally {
      await session.release();
    }
  }
  const best = rates.reduce((a, b) => (b.gflops > a.gflops ? b : a));
  return { gflops: best.gflops, shape: best.shape, threads, rates };
}
