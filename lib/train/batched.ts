/**
 * Many training runs as one: runs that share a shape (text and image dims, batch rows, projection, loss,
 * accumulation, device) train together in the batched step graph (`batched_engine.ts`), each run with its
 * own plan (`run_plan.ts`: data order, caption draws, dropout streams, validation split, schedule, early
 * stopping, best checkpoint) and its own optimiser state. Each run's history and weights equal
 * `trainProjection`'s on the same data and seed (tests/batched_train_test.ts). Runs are grouped by shape
 * automatically; a run the onnx engine cannot train (a vision projection, or `auto` choosing TF.js)
 * trains on its own through `trainProjection`. Results come back in the order of the jobs.
 *
 * @example
 * ```ts
 * import type { Matrix } from "../core/matrix.ts";
 * import { PROBING_DEFAULTS } from "./trainer.ts";
 * declare const images: Matrix, texts: Matrix, textsOf: number[][];
 * const runs = await trainProjections([0, 1, 2].map((seed) => ({ data: { images, texts, textsOf }, config: { ...PROBING_DEFAULTS, seed } })));
 * runs.map((r) => r.bestValLoss);
 * ```
 */
import * as tf from "@tensorflow/tfjs";
import type { Matrix } from "../core/matrix.ts";
import type { RowSource } from "../store/rows.ts";
import { type OnnxDevice, resolveDevice } from "../runtime/onnx_device.ts";
import { progress, type Progress, type ProgressSink } from "../runtime/progress.ts";
import { chooseEngine } from "./engines.ts";
import { createProjection, projectionDefaults } from "./projection.ts";
import { planRun, type RunPlan, weightedValLoss } from "./run_plan.ts";
import { layerDims } from "./step_graph.ts";
import { batchedOnnxEngine, type BatchedEngine } from "./batched_engine.ts";
import { rateKey, recordRate } from "./rates.ts";
import { isSparseText } from "./sparse_input.ts";
import { asRowSource } from "../store/rows.ts";
import { type HistoryRow, type PairData, PROBING_DEFAULTS, type TrainConfig, trainProjection, type TrainResult } from "./trainer.ts";

/** One run of a grid: its pairs and its (partial) training config. */
export interface TrainJob {
  data: PairData<Matrix | RowSource>;
  config?: Partial<TrainConfig>;
}

/** Options of {@link trainProjections}. */
export interface TrainManyOptions {
  /** One bar over all runs, counted in optimiser steps (each run's `maxSteps`); a bar of the caller's, or a sink (default "auto"). */
  progress?: Progress | ProgressSink | false;
  label?: string;
  /** At most this many runs in one batch (default: {@link runsPerBatch}). */
  maxRunsPerBatch?: number;
  /** Called with each result as its run finishes (in finishing order; awaited before training goes on). */
  onResult?: (index: number, result: TrainResult) => void | Promise<void>;
}

/** What runs of one batch share (`sparseText`: whether their texts take the sparse first layer). Pure. */
export function batchShape(cfg: TrainConfig, dims: { text: number; image: number }, batch: number, device: OnnxDevice, sparseText = false): string {
  return JSON.stringify({
    sparseText,
    projection: projectionDefaults({ ...cfg.projection, inDim: dims.text, outDim: dims.image }),
    batch,
    loss: cfg.loss,
    logitScale: cfg.logitScale,
    sigLipBias: cfg.sigLipBias,
    accumulation: cfg.accumulation,
    device,
  });
}

/**
 * How many runs of `parameters` parameters each train as one batch on `device`, at most `max`. On a GPU,
 * as many as fit 64M parameters (their activations stay a few hundred MB). On the CPU, as many as fit 4M
 * parameters (16 MB of weights, as much again of gradients): a batch's weights, gradients and optimiser
 * state then stay in the processor's cache between the step graph and the optimiser step. Stacking more
 * is slower there, not faster: 10 probing runs of 512 -> 1792 (0.9M parameters) as one batch took 1.6x
 * the time of the same runs one at a time, in batches of 4 about 0.9x (`deno task bench training`, the
 * grid row, 2 cores). Pure.
 *
 * @example
 * ```ts
 * import { runsPerBatch } from "./batched.ts";
 * runsPerBatch(512 * 1792 + 1792, "cpu");   // 4
 * runsPerBatch(512 * 1792 + 1792, "cuda");  // 16
 * ```
 */
export function runsPerBatch(parameters: number, device: OnnxDevice, max = 16): number {
  const budget = device === "cpu" ? 4e6 : 64e6;
  return Math.max(1, Math.min(max, Math.floor(budget / parameters)));
}

/** Group run indices by key, in first-seen order; groups larger than `max` are cut into consecutive parts. Pure. */
export function groupRuns(keys: readonly (string | null)[], max: number): number[][] {
  const groups = new Map<string, number[]>(), out: number[][] = [];
  keys.forEach((k, i) => {
    if (k === null) return out.push([i]);
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k)!.push(i);
  });
  for (const g of groups.values()) for (let s = 0; s < g.length; s += max) out.push(g.slice(s, s + max));
  return out;
}

/** Train every job, runs of one shape as one batched graph; results in job order. */
export async function trainProjections(jobs: readonly TrainJob[], opts: TrainManyOptions = {}): Promise<TrainResult[]> {
  const cfgs: TrainConfig[] = jobs.map((j) => ({ ...PROBING_DEFAULTS, ...j.config }));
  const total = cfgs.reduce((a, c) => a + c.maxSteps, 0);
  const ownBar = typeof opts.progress === "object" ? undefined : opts.progress === false ? undefined : progress(total, opts.label ?? `training ${jobs.length} runs`, { sink: opts.progress ?? "auto" });
  const bar = typeof opts.progress === "object" ? opts.progress : ownBar;
  const results: TrainResult[] = new Array(jobs.length);
  let finished = 0;
  const done = async (i: number, r: TrainResult) => {
    results[i] = r;
    bar?.tick(cfgs[i].maxSteps - r.steps, `${++finished}/${jobs.length} runs done`);
    await opts.onResult?.(i, r);
  };
  try {
    const plans: (RunPlan | null)[] = [], keys: (string | null)[] = [], devices: OnnxDevice[] = [], sparseOf: boolean[] = [];
    for (const [i, job] of jobs.entries()) {
      const cfg = cfgs[i];
      const device = await resolveDevice(cfg.device);
      devices.push(device);
      const batchable = chooseEngine(cfg.engine, { tfBackend: tf.getBackend(), visionProjection: !!cfg.visionProjection, device }) === "onnx";
      const plan = batchable ? planRun(job.data, cfg) : null;
      plans.push(plan);
      const sparse = plan !== null && isSparseText(asRowSource(job.data.texts));
      sparseOf.push(sparse);
      keys.push(plan ? batchShape(cfg, { text: job.data.texts.dim, image: job.data.images.dim }, plan.batch, device, sparse) : null);
    }
    const perRun = (i: number) => {
      const d = layerDims({ ...cfgs[i].projection, inDim: jobs[i].data.texts.dim, outDim: jobs[i].data.images.dim });
      return d.slice(1).reduce((a, n, l) => a + d[l] * n, 0);
    };
    for (const group of groupRuns(keys, opts.maxRunsPerBatch ?? 16)) {
      if (plans[group[0]] === null) {
        const r = await trainProjection(jobs[group[0]].data, { ...cfgs[group[0]], progress: false });
        bar?.tick(r.steps);
        await done(group[0], r);
        continue;
      }
      const fit = runsPerBatch(perRun(group[0]), devices[group[0]], opts.maxRunsPerBatch);
      for (let s = 0; s < group.length; s += fit) {
        await trainBatch(group.slice(s, s + fit), jobs, cfgs, plans as RunPlan[], sparseOf[group[0]], bar, done);
      }
    }
  } finally {
    await ownBar?.done();
  }
  return results;
}

/** Train the runs `idx` (one shape) as one batch until each has stopped or reached its `maxSteps`. */
async function trainBatch(
  idx: readonly number[],
  jobs: readonly TrainJob[],
  cfgs: readonly TrainConfig[],
  plans: readonly RunPlan[],
  sparseInput: boolean,
  bar: Progress | undefined,
  done: (i: number, r: TrainResult) => Promise<void>,
): Promise<void> {
  const t0 = performance.now();
  const c0 = cfgs[idx[0]];
  const projections = idx.map((i) => createProjection({ ...cfgs[i].projection, inDim: jobs[i].data.texts.dim, outDim: jobs[i].data.images.dim }, cfgs[i].seed));
  const engine: BatchedEngine = await batchedOnnxEngine(projections, { loss: c0.loss, scale: c0.logitScale, bias: c0.sigLipBias }, idx.map((i) => ({
    lr: cfgs[i].lr,
    weightDecay: cfgs[i].weightDecay,
    decay: cfgs[i].decay,
  })), { device: c0.device, sparseInput });
  idx.forEach((_, k) => (plans[idx[k]].best.state = engine.snapshot(k)));
  const planOf = (k: number) => plans[idx[k]];
  let runSteps = 0;
  try {
    for (let step = 0; engine.active.length; step++) {
      const tStep = performance.now();
      const active = engine.active;
      const lossSums = active.map(() => 0);
      for (let a = 0; a < c0.accumulation; a++) {
        const losses = await engine.accumulate(active.map((k) => planOf(k).microBatch(step, a)), 1 / c0.accumulation);
        losses.forEach((l, j) => (lossSums[j] += l));
      }
      runSteps += active.length;
      const lrs = active.map((k) => planOf(k).lr(step));
      const norms = engine.update(lrs, active.map((k) => planOf(k).cfg.clipNorm));
      const stepMs = performance.now() - tStep, tVal = performance.now();
      const validating = active.filter((k) => planOf(k).validatesAfter(step));
      const valLosses = await validateRuns(engine, validating, validating.map(planOf));
      const valMs = performance.now() - tVal;
      for (const [j, k] of [...active].entries()) {
        const plan = planOf(k), row: HistoryRow = { step: step + 1, lr: lrs[j], loss: lossSums[j], gradNorm: norms[j] };
        const v = validating.indexOf(k);
        if (v >= 0) row.valLoss = valLosses[v];
        const stop = plan.record(row, () => engine.snapshot(k));
        plan.cfg.onStep?.(row, { step: stepMs, validation: valMs });
        bar?.tick(1);
        if (stop || step + 1 >= plan.cfg.maxSteps) {
          await done(idx[k], finishRun(engine, k, plan, step + 1, (performance.now() - t0) / 1000 / idx.length));
        }
      }
    }
    // the measured speed of this shape, for the plans of later grids (`grid_plan.ts`)
    const shape = { ...c0.projection, inDim: jobs[idx[0]].data.texts.dim, outDim: jobs[idx[0]].data.images.dim };
    await recordRate(rateKey(shape, planOf(0).batch), { msPerRunStep: (performance.now() - t0) / runSteps, runSteps }).catch(() => {});
  } finally {
    engine.dispose();
  }
}

/** Validation losses of runs `ks` (each on its own validation batches; batches of equal rows evaluated together). */
async function validateRuns(engine: BatchedEngine, ks: readonly number[], plans: readonly RunPlan[]): Promise<number[]> {
  const chunks = plans.map((p) => p.valChunks());
  const losses: number[][] = ks.map(() => []);
  const most = Math.max(0, ...chunks.map((c) => c.length));
  for (let c = 0; c < most; c++) {
    const byRows = new Map<number, number[]>();
    chunks.forEach((list, j) => list[c] && byRows.set(list[c].rows, [...(byRows.get(list[c].rows) ?? []), j]));
    for (const [rows, members] of byRows) {
      const ls = await engine.evalLoss(members.map((j) => ks[j]), members.map((j) => chunks[j][c].read()), rows);
      members.forEach((j, m) => losses[j].push(ls[m]));
    }
  }
  return ks.map((_, j) => weightedValLoss(losses[j], chunks[j].map((c) => c.rows)));
}

/** Restore run `k`'s best checkpoint, take it out of the batch and build its result (as `trainProjection` does). */
function finishRun(engine: BatchedEngine, k: number, plan: RunPlan, steps: number, seconds: number): TrainResult {
  let best = { step: plan.best.step, loss: plan.best.loss };
  if (plan.val.length) engine.restore(k, plan.best.state);
  else best = { loss: NaN, step: steps };
  engine.retire(k);
  return {
    projection: engine.finish(k),
    history: plan.history,
    bestStep: best.step,
    bestValLoss: best.loss,
    steps,
    stoppedEarly: plan.stoppedEarly,
    engine: "onnx",
    device: engine.device,
    seconds,
    backend: tf.getBackend(),
    config: plan.cfg,
  };
}
