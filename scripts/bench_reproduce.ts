/**
 * `deno task bench reproduce [NOTEBOOK...]`: the time a reproduce takes from an empty training cache with
 * the features present, per notebook. It builds a bench cache beside the real one that links everything
 * but the trained results (`results/`: probing runs, caption models, evaluations) and the measured
 * training speeds, runs each notebook headless on it (`deno task report`, outputs into the bench folder,
 * so `outputs/` and the real cache stay as they are) and writes `outputs/bench/reproduce.json`: seconds
 * and status per notebook, the total, the machine's cores, and the training work the notebooks did
 * (`training_work.ts`: TFLOP of matrix products over every model in the bench cache) with its floor: that
 * work at onnxruntime's best MatMul rate on these cores (`lib/train/matmul_ceiling.ts`, measured after the
 * notebooks), the least time any schedule or engine on this machine needs. Features, downloads and the project's own
 * language models (the skip-gram ladder) count as present: run `deno task extract` first for a real
 * reproduce's extraction time, which `deno task extract` prints itself.
 *
 * With `--jobs N` the notebooks run as `deno task reproduce --jobs N` runs them (`runGroups`): up to N
 * side by side, notebooks that share cached work in order, each with the cores shared among the
 * notebooks still to run beside it; the file then holds the wall time of the whole run beside each
 * notebook's, and what each slot ran.
 *
 *   deno task bench reproduce            # every notebook, one after another
 *   deno task bench reproduce 01 03      # these notebooks
 *   deno task bench reproduce --jobs 2   # every notebook, two side by side
 */
import { basename, join } from "node:path";
import { projectPaths } from "../lib/runtime/paths.ts";
import { writeJsonAtomic } from "../lib/runtime/atomic.ts";
import { table } from "../lib/report/display.ts";
import { readSummary, summaryPath } from "../lib/report/summary.ts";
import { allNotebooks, jobsArg, runGroups, workGroups } from "./reproduce.ts";
import { cacheTrainingWork } from "./training_work.ts";
import { type MatmulCeiling, matmulCeiling } from "../lib/train/matmul_ceiling.ts";
import type { TrainingWork } from "../lib/train/work.ts";

/** One notebook's time from an empty training cache. */
export interface ReproduceRow {
  notebook: string;
  seconds: number;
  ok: boolean;
}

/** Entries of the cache that a reproduce from an empty training cache does not see. */
export const TRAINED = new Set(["results", "train_rates.json", "reports"]);

/** A bench cache at `dir` linking every entry of `cache` except the trained results. */
export async function benchCache(cache: string, dir: string): Promise<void> {
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  await Deno.mkdir(dir, { recursive: true });
  for await (const e of Deno.readDir(cache)) {
    if (!TRAINED.has(e.name)) await Deno.symlink(join(cache, e.name), join(dir, e.name));
  }
}

/** Run `deno task report <notebook>` on the bench cache; its wall time and status. */
async function timeNotebook(notebook: string, env: Record<string, string>): Promise<ReproduceRow> {
  const t0 = performance.now();
  const status = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(projectPaths().root, "scripts", "reproduce.ts"), notebook],
    env,
    stdout: "inherit",
    stderr: "inherit",
  }).spawn().status;
  return { notebook, seconds: Math.round((performance.now() - t0) / 100) / 10, ok: status.success };
}

/** The training work a reproduce did and the floor it puts on the time: the work at the cores' best MatMul rate. */
export interface WorkFloor {
  tflop: number;
  runs: number;
  steps: number;
  caption_models: { runs: number; tflop: number };
  probing_runs: { runs: number; tflop: number };
  /** onnxruntime's MatMul at its best on these cores (`matmul_ceiling.ts`). */
  ort_matmul_gflops: number;
  ort_matmul_shape: string;
  threads: number;
  /** The work at that rate: no schedule or engine on these cores trains it faster. */
  floor_seconds: number;
  /** `floor_seconds` over the run's wall time (1: every second of the run was matrix products at the ceiling). */
  floor_share_of_wall: number;
}

/** The floor of `work` at `ceiling`, against a run of `wallSeconds`. Pure. */
export function workFloor(work: TrainingWork & { caption: TrainingWork; probing: TrainingWork }, ceiling: MatmulCeiling, wallSeconds: number): WorkFloor {
  const tflop = (f: number) => +(f / 1e12).toFixed(2), floor = work.flops / (ceiling.gflops * 1e9);
  return {
    tflop: tflop(work.flops), runs: work.runs, steps: work.steps,
    caption_models: { runs: work.caption.runs, tflop: tflop(work.caption.flops) },
    probing_runs: { runs: work.probing.runs, tflop: tflop(work.probing.flops) },
    ort_matmul_gflops: ceiling.gflops, ort_matmul_shape: ceiling.shape, threads: ceiling.threads,
    floor_seconds: Math.round(floor * 10) / 10,
    floor_share_of_wall: wallSeconds > 0 ? +(floor / wallSeconds).toFixed(3) : 0,
  };
}

/** Time each notebook (default: all) from an empty training cache, up to `jobs` side by side; writes `outputs/bench/reproduce.json`. */
export async function benchReproduce(notebooks: string[], jobs = 1): Promise<{ rows: ReproduceRow[]; path: string; wallSeconds: number; work: WorkFloor | { error: string } }> {
  const paths = projectPaths();
  const names = notebooks.length ? notebooks : allNotebooks(paths.root).map((nb) => basename(nb, ".ipynb"));
  const runDir = join(paths.outputs, "bench", "reproduce-run");
  await benchCache(paths.cache, join(runDir, "cache"));
  const env = { SHARELOCK_CACHE_DIR: join(runDir, "cache"), SHARELOCK_OUTPUTS_DIR: join(runDir, "outputs") };
  // the notebooks are scheduled by the times of the last real run, as `deno task reproduce --jobs` schedules them
  const last = await readSummary(summaryPath(paths.outputs)), groups = workGroups(names);
  const byName = new Map<string, ReproduceRow>(), t0 = performance.now();
  const slots = await runGroups(groups, jobs, (n) => last.notebooks[n]?.run?.seconds ?? 1, navigator.hardwareConcurrency, Deno.env.get("SHARELOCK_ORT_THREADS"), async (nb, threads) => {
    console.error(`[bench reproduce] ${nb} from an empty training cache${threads ? `, ${threads} onnxruntime thread(s)` : ""} ...`);
    byName.set(nb, await timeNotebook(nb, threads ? { ...env, SHARELOCK_ORT_THREADS: threads } : env));
  });
  const wallSeconds = Math.round((performance.now() - t0) / 100) / 10, rows = names.map((n) => byName.get(n)!);
  // what the notebooks trained, and the floor the cores' fastest matrix product puts on training it (a
  // record it cannot read leaves the work out, not the times)
  let work: WorkFloor | { error: string };
  try {
    work = workFloor(await cacheTrainingWork(env.SHARELOCK_CACHE_DIR), await matmulCeiling(), wallSeconds);
  } catch (err) {
    work = { error: (err as Error).message };
  }
  const path = join(paths.outputs, "bench", "reproduce.json");
  await writeJsonAtomic(path, {
    what: "seconds per notebook of `deno task report` from an empty training cache, features present",
    cores: navigator.hardwareConcurrency,
    date: new Date().toISOString(),
    jobs,
    groups,
    slots,
    settings: Object.fromEntries(Object.entries(Deno.env.toObject()).filter(([k]) => k.startsWith("SHARELOCK_") && !k.endsWith("_DIR"))),
    wall_seconds: wallSeconds,
    total_seconds: Math.round(rows.reduce((a, r) => a + r.seconds, 0)),
    notebooks: rows,
    training_work: work,
  });
  return { rows, path, wallSeconds, work };
}

/** The training work and its floor in a sentence. Pure. */
export function workLine(w: WorkFloor, wallSeconds: number): string {
  const min = (s: number) => `${(s / 60).toFixed(1)} min`;
  return `Training work: ${w.tflop} TFLOP of matrix products in ${w.runs} runs (${w.steps} steps). At onnxruntime's best MatMul ` +
    `on ${w.threads} thread(s) here (${w.ort_matmul_gflops} GFLOP/s, ${w.ort_matmul_shape}) that alone takes ${min(w.floor_seconds)}, ` +
    `a floor for any schedule on this machine; the run took ${min(wallSeconds)} (the floor is ${Math.round(100 * w.floor_share_of_wall)}% of it).`;
}

/** The command: time the notebooks, print the table, exit 1 when one failed. */
export async function main(args: string[]): Promise<void> {
  const { jobs, rest } = jobsArg(args);
  const { rows, path, wallSeconds, work } = await benchReproduce(rest, jobs);
  const caption = `From an empty training cache, up to ${jobs} notebook(s) side by side: ${(wallSeconds / 60).toFixed(1)} min of wall time (${path})`;
  console.log(table(rows.map((r) => ({ notebook: r.notebook, minutes: r.seconds / 60, status: r.ok ? "ok" : "FAILED" })), { caption, digits: 1 }).bundle["text/plain"]);
  console.log("error" in work ? `Training work: not counted (${work.error})` : workLine(work, wallSeconds));
  if (rows.some((r) => !r.ok)) Deno.exit(1);
}

if (import.meta.main) await main(Deno.args);
