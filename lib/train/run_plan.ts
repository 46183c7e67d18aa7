/**
 * The bookkeeping of one training run, apart from the engine that computes its steps: the seeded
 * validation split, the data order and its reshuffles, the caption drawn for each image at each step,
 * the dropout stream of each micro-batch, the learning-rate schedule, the validation batches, and the
 * best checkpoint with early stopping. `trainProjection` drives one plan with one engine; the batched
 * trainer drives many plans with one batched engine; both make the same draws in the same order, so a run
 * is the same run either way.
 *
 * @example
 * ```ts
 * import type { Matrix } from "../core/matrix.ts";
 * import { PROBING_DEFAULTS } from "./trainer.ts";
 * declare const images: Matrix, texts: Matrix, textsOf: number[][];
 * const plan = planRun({ images, texts, textsOf }, { ...PROBING_DEFAULTS, seed: 0, maxSteps: 10 });
 * const mb = plan.microBatch(0, 0);        // the first micro-batch: image rows, text rows, dropout stream
 * const lr = plan.lr(0);                   // 0: the first update of the warm-up
 * ```
 */
import type { Matrix } from "../core/matrix.ts";
import { asRowSource, type RowSource } from "../store/rows.ts";
import { type Rng, seededRandom, shuffle } from "../runtime/random.ts";
import { cosineWithWarmup } from "./optim.ts";
import type { HistoryRow, PairData, TrainConfig } from "./trainer.ts";

/** One micro-batch: its features, row count and the dropout stream of its masks. */
export interface MicroBatch {
  img: Float32Array;
  txt: Float32Array;
  rows: number;
  dropRng: Rng;
}

/** The best checkpoint so far (validation loss, optimiser step, engine state). */
export interface BestCheckpoint {
  loss: number;
  step: number;
  state: unknown;
}

/** One run's bookkeeping (see the module doc). */
export interface RunPlan {
  readonly cfg: TrainConfig;
  /** Rows per micro-batch: the configured batch size, at most the training images (at least 2). */
  readonly batch: number;
  readonly train: readonly number[];
  readonly val: readonly number[];
  readonly history: HistoryRow[];
  readonly best: BestCheckpoint;
  readonly stoppedEarly: boolean;
  /** Learning rate of update `step` (0-based). */
  lr(step: number): number;
  /** Micro-batch `a` of update `step`: draws the next rows (reshuffling at the end of an epoch) and one text per image. */
  microBatch(step: number, a: number): MicroBatch;
  /** Whether validation follows update `step` (0-based). */
  validatesAfter(step: number): boolean;
  /** The validation batches (features read on demand); the validation loss is their row-weighted mean. */
  valChunks(): { rows: number; read(): { img: Float32Array; txt: Float32Array } }[];
  /**
   * Record update `row`; with a validation loss, keep `snapshot()` as the best checkpoint when it is the
   * lowest so far and count checks without an improvement of `minDelta`. Returns true when the run stops.
   */
  record(row: HistoryRow, snapshot: () => unknown): boolean;
}

/** Check that every image has at least one text. */
export function checkPairs(data: PairData<Matrix | RowSource>): void {
  if (data.textsOf.length !== data.images.rows) {
    throw new Error(`pairs: ${data.images.rows} images but ${data.textsOf.length} text lists`);
  }
  data.textsOf.forEach((list, i) => {
    if (!list.length) throw new Error(`pairs: image row ${i} has no text`);
  });
}

/** Split image indices into train and validation, seeded. Pure. */
export function validationSplit(n: number, cfg: Pick<TrainConfig, "valSize" | "valFraction" | "seed">): { train: number[]; val: number[] } {
  const order = shuffle(Array.from({ length: n }, (_, i) => i), seededRandom(cfg.seed * 31 + 7));
  const nVal = n < 10 ? 0 : Math.min(cfg.valSize, Math.floor(n * cfg.valFraction));
  return { val: order.slice(0, nVal).sort((a, b) => a - b), train: order.slice(nVal) };
}

/** Plan a run on `data` with the full config `cfg` (checks the pairs; `initial` is the engine state before training). */
export function planRun(data: PairData<Matrix | RowSource>, cfg: TrainConfig, initial?: unknown): RunPlan {
  checkPairs(data);
  const images = asRowSource(data.images), texts = asRowSource(data.texts);
  const rng: Rng = seededRandom(cfg.seed);
  const { train, val } = validationSplit(data.images.rows, cfg);
  const batch = Math.max(2, Math.min(cfg.batchSize, train.length));
  const valText = val.map((i) => data.textsOf[i][rng.int(data.textsOf[i].length)]);
  let order = shuffle(train, rng), cursor = 0;
  const nextRows = (): number[] => {
    if (cursor + batch > order.length) {
      order = shuffle(train, rng);
      cursor = 0;
    }
    cursor += batch;
    return order.slice(cursor - batch, cursor);
  };
  const history: HistoryRow[] = [];
  // The best checkpoint is the lowest validation loss; early stopping counts checks without an
  // improvement of at least minDelta (Lightning's ModelCheckpoint + EarlyStopping, as the official code).
  const best: BestCheckpoint = { loss: Infinity, step: 0, state: initial };
  let checksWithout = 0, stopRef = Infinity, stoppedEarly = false;
  return {
    cfg,
    batch,
    train,
    val,
    history,
    best,
    get stoppedEarly() {
      return stoppedEarly;
    },
    lr: (step) => cosineWithWarmup(step, { baseLr: cfg.lr, warmup: cfg.warmup, total: cfg.maxSteps }),
    microBatch(step, a) {
      const rows = nextRows();
      const textRows = rows.map((i) => data.textsOf[i][rng.int(data.textsOf[i].length)]);
      return { img: images.read(rows), txt: texts.read(textRows), rows: rows.length, dropRng: seededRandom(cfg.seed * 1_000_003 + step * 97 + a) };
    },
    validatesAfter: (step) => (step + 1) % cfg.evalEvery === 0 && val.length > 0,
    valChunks() {
      const chunks: ReturnType<RunPlan["valChunks"]> = [];
      for (let s = 0; s < val.length; s += batch) {
        const rows = val.slice(s, s + batch), textRows = valText.slice(s, s + batch);
        if (rows.length < 2) continue;
        chunks.push({ rows: rows.length, read: () => ({ img: images.read(rows), txt: texts.read(textRows) }) });
      }
      return chunks;
    },
    record(row, snapshot) {
      history.push(row);
      if (row.valLoss === undefined) return false;
      if (row.valLoss < best.loss) Object.assign(best, { loss: row.valLoss, step: row.step, state: snapshot() });
      if (row.valLoss < stopRef - cfg.minDelta) {
        stopRef = row.valLoss;
        checksWithout = 0;
      } else if (++checksWithout >= cfg.patience) stoppedEarly = true;
      return stoppedEarly;
    },
  };
}

/** The row-weighted mean of validation losses of chunks of these sizes (NaN without chunks). Pure. */
export function weightedValLoss(losses: readonly number[], rows: readonly number[]): number {
  let sum = 0, count = 0;
  losses.forEach((l, k) => {
    sum += l * rows[k];
    count += rows[k];
  });
  return count ? sum / count : NaN;
}
