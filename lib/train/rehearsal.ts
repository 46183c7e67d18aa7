/**
 * The rehearsal knob: `SHARELOCK_REHEARSAL=1` (set by `deno task rehearse`) keeps a paper
 * configuration's code path (its models, datasets, 80 templates, pooling, the MLP's depth, streaming
 * from the store) and shrinks only sizes: the training settings below, the MLP's width (64) and the
 * data-scaling sizes (40 and 80 pairs). The config table then says it is a rehearsal.
 *
 * @example
 * ```ts
 * import { PAPER_DEFAULTS } from "./trainer.ts";
 * const cfg = rehearsed({ scale: "paper", train: PAPER_DEFAULTS, scaling: [84_000, 563_000] }, true);
 * cfg.train.maxSteps;   // 30
 * ```
 */
import type { TrainConfig } from "./trainer.ts";
import { REHEARSAL_NOTE, rehearsalFromEnv } from "../runtime/rehearsal_env.ts";

export { REHEARSAL_NOTE, rehearsalFromEnv };

/** Training sizes of a rehearsal (a few seconds per run on stand-in models; the numbers mean nothing). */
export const REHEARSAL_TRAIN: Partial<TrainConfig> = { maxSteps: 30, batchSize: 64, accumulation: 2, warmup: 3, patience: 5, valSize: 64 };

/** Training-set sizes of the data-scaling curve in a rehearsal. */
export const REHEARSAL_SCALING = [40, 80];

/**
 * `cfg` with the rehearsal's sizes when `on` (default: `SHARELOCK_REHEARSAL`): training settings, an
 * MLP's width, `scaling` when it has one, and a `rehearsal` entry saying so. Otherwise `cfg` itself.
 */
export function rehearsed<T extends { train: Partial<TrainConfig> }>(cfg: T, on = rehearsalFromEnv()): T & { rehearsal?: string } {
  if (!on) return cfg;
  const p = cfg.train.projection;
  const train = { ...cfg.train, ...REHEARSAL_TRAIN, ...(p?.kind === "mlp" ? { projection: { ...p, hidden: 64 } } : {}) };
  return { ...cfg, train, ...("scaling" in cfg ? { scaling: REHEARSAL_SCALING } : {}), rehearsal: REHEARSAL_NOTE };
}
