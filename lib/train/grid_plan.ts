/**
 * What a training grid will do, said before it trains: how many runs are cached, how many train, their
 * steps, and the time they take at the speed measured for their shapes (`rates.ts`), as one line in the
 * notebook and in the terminal.
 *
 * @example
 * ```ts
 * import { planText } from "./grid_plan.ts";
 * const runs = [{ projection: { kind: "linear" as const, inDim: 512, outDim: 1792 }, batch: 256, steps: 600 }];
 * planText("probing runs", 74, runs, {});
 * // "probing runs: 75 in the grid, 74 cached, 1 to train (at most 600 steps, 1 shape); time: no speed measured yet for this shape"
 * ```
 */
import type { ProjectionConfig } from "./projection.ts";
import { estimateSeconds, rateKey, type Rates, readRates } from "./rates.ts";
import { notice } from "../runtime/notice.ts";
import { roughDuration } from "../report/format.ts";
import type { ProgressSink } from "../runtime/progress.ts";

/** One run still to train: its projection (with its widths), batch rows and step budget. */
export interface PlannedRun {
  projection: ProjectionConfig;
  batch: number;
  steps: number;
}

/** The plan's line. Pure. */
export function planText(label: string, cached: number, runs: readonly PlannedRun[], rates: Rates): string {
  const head = `${label}: ${cached + runs.length} in the grid, ${cached} cached, ${runs.length} to train`;
  if (!runs.length) return `${head}; nothing to train`;
  const work = runs.map((r) => ({ key: rateKey(r.projection, r.batch), steps: r.steps }));
  const shapes = new Set(work.map((w) => w.key));
  const steps = work.reduce((a, w) => a + w.steps, 0);
  const seconds = estimateSeconds(rates, work);
  const unmeasured = [...shapes].filter((k) => !rates[k]).length;
  const time = seconds !== null
    ? `at most ${roughDuration(seconds)} at the speed measured for ${shapes.size === 1 ? "this shape" : "these shapes"} (early stopping shortens it)`
    : `no speed measured yet for ${unmeasured === shapes.size ? (shapes.size === 1 ? "this shape" : "these shapes") : `${unmeasured} of ${shapes.size} shapes`}`;
  return `${head} (at most ${steps.toLocaleString("en-US")} steps, ${shapes.size} shape${shapes.size === 1 ? "" : "s"}); time: ${time}`;
}

/** Show the plan of a grid (`notice`) with the stored rates; returns the line. */
export async function announcePlan(label: string, cached: number, runs: readonly PlannedRun[], opts: { sink?: ProgressSink | false } = {}): Promise<string> {
  const text = planText(label, cached, runs, await readRates());
  if (opts.sink !== false) await notice(text, { sink: opts.sink });
  return text;
}
