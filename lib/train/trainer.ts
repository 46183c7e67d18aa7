/**
 * Projection training as in the paper: frozen image features (identity, L2-normalised), frozen text
 * features through a trainable projection, contrastive loss at a fixed temperature, Adam with coupled
 * weight decay, cosine schedule with warm-up, global-norm clipping, gradient accumulation, a seeded
 * validation split and early stopping on validation loss, keeping the best weights.
 *
 * Data are pairs of an image row and the text rows that describe it (captions, or a class's templates
 * and description sentences); each step draws one of an image's texts at random. Batches are gathered
 * row by row from the matrices: no copy of the dataset per step. The features may also be row sources
 * read from the store's shards as batches need them (`storeRows` in store/rows.ts): then memory holds
 * one batch and the model, not the dataset, and the run is the same as on the matrices.
 *
 * @example
 * ```ts
 * import type { Matrix } from "../core/matrix.ts";
 * declare const images: Matrix, texts: Matrix, textsOf: number[][], classTextMatrix: Matrix;
 * const run = await trainProjection({ images, texts, textsOf }, { ...PROBING_DEFAULTS, seed: 0 });
 * const protos = run.projection.project(classTextMatrix);
 * ```
 */
import * as tf from "@tensorflow/tfjs";
import { createEngine, type EngineName } from "./engines.ts";
import type { DeviceRequest, OnnxDevice } from "../runtime/onnx_device.ts";
import type { Matrix } from "../core/matrix.ts";
import type { RowSource } from "../store/rows.ts";
import { createProjection, type Projection, type ProjectionConfig } from "./projection.ts";
import { PAPER_LOGIT_SCALE, SIGLIP_BIAS } from "./losses.ts";
import { checkPairs, planRun, validationSplit, weightedValLoss } from "./run_plan.ts";
import { asRowSource } from "../store/rows.ts";
import { isSparseText } from "./sparse_input.ts";
import { progress, type ProgressSink } from "../runtime/progress.ts";

/** Training pairs: image i is described by the text rows `textsOf[i]` (matrices, or row sources that stream). */
export interface PairData<M extends Matrix | RowSource = Matrix> {
  images: M;
  texts: M;
  textsOf: ArrayLike<number>[];
}

/** Everything that shapes a training run. */
export interface TrainConfig {
  /** Text-side projection (input and output sizes come from the data). */
  projection: Omit<ProjectionConfig, "inDim" | "outDim">;
  /** Optional vision-side projection (default: identity, as the paper). */
  visionProjection?: Omit<ProjectionConfig, "inDim" | "outDim"> & { outDim: number };
  loss: "clip" | "siglip";
  /** Fixed logit scale (CLIP: exp(2.6592), `PAPER_LOGIT_SCALE`; SigLIP: 10, `SIGLIP_SCALE`). */
  logitScale: number;
  /** SigLIP's fixed bias. */
  sigLipBias: number;
  lr: number;
  weightDecay: number;
  decay: "coupled" | "decoupled";
  warmup: number;
  maxSteps: number;
  batchSize: number;
  accumulation: number;
  clipNorm: number;
  /** Validation pairs: at most this many ... */
  valSize: number;
  /** ... and at most this share of the images. */
  valFraction: number;
  /** Validate every this many optimiser steps. */
  evalEvery: number;
  /** Stop after this many checks without an improvement of at least `minDelta`. */
  patience: number;
  minDelta: number;
  seed: number;
  /** Training engine: `auto` (onnxruntime on CPU, TF.js on the native TensorFlow backend), `tfjs`, `onnx`. */
  engine: EngineName;
  /** Where the onnx engine runs (default `SHARELOCK_DEVICE`, else `auto`); results agree across devices to 1e-4. */
  device?: DeviceRequest;
  progress?: ProgressSink | false;
  label?: string;
  /** Called after each optimiser step with its history row and wall times (step, validation) in ms. */
  onStep?: (row: HistoryRow, ms: { step: number; validation: number }) => void;
}

/** The paper's defaults (official code), Section 5 (MLP on captions). */
export const PAPER_DEFAULTS: TrainConfig = {
  projection: { kind: "mlp", hidden: 4096, layers: 4, dropout: 0.2, batchNorm: true },
  loss: "clip",
  logitScale: PAPER_LOGIT_SCALE,
  sigLipBias: SIGLIP_BIAS,
  lr: 1e-3,
  weightDecay: 1e-4,
  decay: "coupled",
  warmup: 150,
  maxSteps: 5000,
  batchSize: 1024,
  accumulation: 16,
  clipNorm: 1.0,
  valSize: 50_000,
  valFraction: 0.1,
  evalEvery: 1,
  patience: 50,
  minDelta: 0.1,
  seed: 42,
  engine: "auto",
};

/** Section 3-4 (strict zero-shot probing): a linear projection, otherwise the paper's settings. */
export const PROBING_DEFAULTS: TrainConfig = { ...PAPER_DEFAULTS, projection: { kind: "linear" } };

/**
 * The full config a partial one trains with (the probing defaults filled in), without the fields that
 * do not change the result (`progress`, `label`): what cache keys hash. Pure.
 */
export function resolveTrainConfig(config: Partial<TrainConfig> = {}): Omit<TrainConfig, "progress" | "label"> {
  const { progress: _p, label: _l, ...cfg } = { ...PROBING_DEFAULTS, ...config };
  return cfg;
}

/** One row of the training history. */
export interface HistoryRow {
  step: number;
  lr: number;
  loss: number;
  gradNorm: number;
  valLoss?: number;
}

/** What a run returns. */
export interface TrainResult {
  projection: Projection;
  visionProjection?: Projection;
  history: HistoryRow[];
  bestStep: number;
  bestValLoss: number;
  steps: number;
  /** The engine that trained ("tfjs" or "onnx"). */
  engine: string;
  /** Where the onnx engine ran (cpu, webgpu, cuda); absent for TF.js. */
  device?: OnnxDevice;
  stoppedEarly: boolean;
  seconds: number;
  backend: string;
  config: TrainConfig;
}

export { validationSplit };

/** Train a text projection (and optionally a vision projection) on pairs. Reproducible from the seed. */
export async function trainProjection(data: PairData<Matrix | RowSource>, config: Partial<TrainConfig> = {}): Promise<TrainResult> {
  const cfg: TrainConfig = { ...PROBING_DEFAULTS, ...config };
  const t0 = performance.now();
  checkPairs(data);
  const textProj = createProjection({ ...cfg.projection, inDim: data.texts.dim, outDim: cfg.visionProjection?.outDim ?? data.images.dim }, cfg.seed);
  const visProj = cfg.visionProjection
    ? createProjection({ ...cfg.visionProjection, inDim: data.images.dim, outDim: cfg.visionProjection.outDim }, cfg.seed + 1000)
    : undefined;
  const engine = await createEngine(cfg.engine, textProj, visProj, { loss: cfg.loss, scale: cfg.logitScale, bias: cfg.sigLipBias }, {
    lr: cfg.lr,
    weightDecay: cfg.weightDecay,
    decay: cfg.decay,
  }, cfg.device, isSparseText(asRowSource(data.texts)));
  const plan = planRun(data, cfg, engine.snapshot());
  const validate = async (): Promise<number> => {
    const chunks = plan.valChunks(), losses: number[] = [];
    for (const c of chunks) {
      const { img, txt } = c.read();
      losses.push(await engine.evalLoss(img, txt, c.rows));
    }
    return weightedValLoss(losses, chunks.map((c) => c.rows));
  };

  let step = 0;
  const bar = cfg.progress === false ? undefined : progress(cfg.maxSteps, cfg.label ?? `training (${cfg.projection.kind}, ${engine.name}${engine.device ? ` on ${engine.device}` : ""}, seed ${cfg.seed})`, { sink: cfg.progress || "auto" });
  try {
    for (step = 0; step < cfg.maxSteps; step++) {
      const tStep = performance.now();
      let valMs = 0;
      const lr = plan.lr(step);
      let lossSum = 0;
      for (let a = 0; a < cfg.accumulation; a++) {
        const mb = plan.microBatch(step, a);
        lossSum += await engine.accumulate(mb.img, mb.txt, mb.rows, mb.dropRng, 1 / cfg.accumulation);
      }
      const gradNorm = engine.update(lr, cfg.clipNorm);
      const row: HistoryRow = { step: step + 1, lr, loss: lossSum, gradNorm };
      const stepMs = performance.now() - tStep;
      if (plan.validatesAfter(step)) {
        const tVal = performance.now();
        row.valLoss = await validate();
        valMs = performance.now() - tVal;
      }
      const stop = plan.record(row, () => engine.snapshot());
      cfg.onStep?.(row, { step: stepMs, validation: valMs });
      if (stop) {
        step++;
        bar?.tick(1, `early stop, best step ${plan.best.step}`);
        break;
      }
      bar?.tick(1, `loss ${lossSum.toFixed(3)}${row.valLoss !== undefined ? ` val ${row.valLoss.toFixed(3)}` : ""}`);
    }
  } finally {
    await bar?.done();
  }
  const { val, history, stoppedEarly } = plan;
  let best = plan.best;
  if (val.length) engine.restore(best.state);
  else best = { ...best, loss: NaN, step };
  const trained = engine.finish();
  engine.dispose();
  return {
    projection: trained.text,
    visionProjection: trained.vision,
    history,
    bestStep: best.step,
    bestValLoss: best.loss,
    steps: step,
    stoppedEarly,
    engine: engine.name,
    ...(engine.device ? { device: engine.device } : {}),
    seconds: (performance.now() - t0) / 1000,
    backend: tf.getBackend(),
    config: cfg,
  };
}
