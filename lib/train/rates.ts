/**
 * Measured training speed, kept so that a grid can say before it trains how long it will take: the
 * milliseconds one run-step (one optimiser step of one run, inside a batch of runs) took for a shape,
 * stored in `<cache>/train_rates.json` after each trained batch. The file is a hint: a missing,
 * unreadable or malformed one means "no estimate", never an error.
 *
 * @example
 * ```ts
 * import { estimateSeconds, rateKey } from "./rates.ts";
 * const key = rateKey({ kind: "linear", inDim: 512, outDim: 1792 }, 256);
 * const seconds = estimateSeconds({ [key]: { msPerRunStep: 12, runSteps: 6000 } }, [{ key, steps: 600 }]);   // 7.2
 * ```
 */
import { join } from "node:path";
import { writeJsonAtomic } from "../runtime/atomic.ts";
import { projectPaths } from "../runtime/paths.ts";
import { projectionDefaults, type ProjectionConfig } from "./projection.ts";
import { layerDims } from "./step_graph.ts";

/** One shape's measured speed. */
export interface Rate {
  msPerRunStep: number;
  /** Run-steps the measurement covers. */
  runSteps: number;
}

/** Rates by {@link rateKey}. */
export type Rates = Record<string, Rate>;

/** The key of a shape's rate: the projection's layer widths and the batch rows. Pure. */
export function rateKey(projection: ProjectionConfig, batch: number): string {
  const cfg = projectionDefaults(projection);
  return `${cfg.kind} ${layerDims(cfg).join("-")} batch ${batch}`;
}

/** Where the rates live (`<cache>/train_rates.json`). */
export function ratesPath(): string {
  return join(projectPaths().cache, "train_rates.json");
}

/** The stored rates; `{}` when the file is missing or not a rates table. */
export async function readRates(path = ratesPath()): Promise<Rates> {
  try {
    const value = JSON.parse(await Deno.readTextFile(path));
    if (typeof value !== "object" || value === null || Array.isArray(value)) return {};
    const ok = (r: unknown): r is Rate => {
      const x = r as Rate;
      return typeof x === "object" && x !== null && Number.isFinite(x.msPerRunStep) && x.msPerRunStep > 0 && Number.isFinite(x.runSteps) && x.runSteps > 0;
    };
    return Object.fromEntries(Object.entries(value).filter(([, r]) => ok(r))) as Rates;
  } catch {
    return {};
  }
}

/** Store the latest measurement of a shape (replacing the older one). */
export async function recordRate(key: string, rate: Rate, path = ratesPath()): Promise<void> {
  if (!(rate.msPerRunStep > 0) || !(rate.runSteps > 0)) return;
  await writeJsonAtomic(path, { ...(await readRates(path)), [key]: rate });
}

/**
 * Seconds the work takes at the stored rates, or null when a shape has no rate yet. `steps`: each run's
 * step count (its `maxSteps`, so the estimate is an upper bound when runs stop early). Pure.
 */
export function estimateSeconds(rates: Rates, work: readonly { key: string; steps: number }[]): number | null {
  let ms = 0;
  for (const w of work) {
    const r = rates[w.key];
    if (!r) return null;
    ms += r.msPerRunStep * w.steps;
  }
  return ms / 1000;
}
