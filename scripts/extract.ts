/**
 * `deno task extract`: compute and store the features of the embedded default (or the named parts),
 * resumably. Run it again after a crash or Ctrl-C: only what is missing is computed.
 *
 *   deno task extract                         # the whole embedded plan, one process per CPU core (at most 4)
 *   deno task extract --jobs 1                # in this process only
 *   deno task extract --encoder use-lite      # only this encoder (repeatable)
 *   deno task extract --dataset openclipart   # only this dataset (repeatable; one outside the plan runs with MobileNetV2)
 *   deno task extract --encoder hf:onnx-community/dinov2-small --dataset cub   # any encoder over any dataset
 *   deno task extract --root /scratch/feats   # feature stores under this folder (default <cache>/features)
 *   deno task extract --shard 3/16            # one slice: a Slurm array task / Kubernetes indexed job
 *                                             # (the shard also comes from SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX)
 *   deno task extract --dry-run ...           # check the selection and list its jobs; compute nothing
 *
 * Every encoder, dataset and encoder/dataset pair is checked before any worker starts (registry names,
 * `hf:` models through the model doctor, on-disk datasets under SHARELOCK_DATA_DIR); what cannot run is
 * named with the valid names, and the command exits non-zero. Exit codes: 0 done, 1 a job or worker
 * failed, 2 a bad flag or selection (nothing was started), 130 / 143 stopped by SIGINT / SIGTERM.
 * docs/extraction.md is the user's page.
 */
import { parseArgs } from "node:util";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { EMBEDDED_PLAN, type ExtractionPlan } from "../lib/config.ts";
import { dataset, EMBEDDED_DATASETS, PAPER_CAPTION_DATASETS, PAPER_FOLDER_DATASETS } from "../lib/data/registry.ts";
import type { Dataset } from "../lib/data/items.ts";
import { parseImageRef } from "../lib/data/image_ref.ts";
import { HOW_TO_GET } from "../lib/data/paper_datasets.ts";
import { loadWordNet } from "../lib/data/wordnet.ts";
import { classRepresentations } from "../lib/data/class_texts.ts";
import { ENCODER_NAME_FORMS, encoderNameKind, languageEncoder, visionEncoder } from "../lib/encoders/registry.ts";
import { inspectModel } from "../lib/encoders/hf/doctor.ts";
import { convertedVisionModel, visionEngineFromEnv } from "../lib/encoders/vision/onnx_vision.ts";
import { NSFWJS_VISION, type NsfwjsVisionName } from "../lib/encoders/vision/tfjs_models.ts";
import { extract, type ExtractResult, storeFor } from "../lib/store/extract.ts";
import { parseShard, shardFromEnv, type Shard, WHOLE } from "../lib/store/shard.ts";
import { selectTfBackend } from "../lib/runtime/tf_backend.ts";
import { describeRepairs } from "../lib/store/records.ts";
import { checkEnvironment, EnvError, readSetting } from "../lib/runtime/env.ts";

/** Every text the plan embeds with each language encoder (deduplicated). */
export async function planTexts(plan: ExtractionPlan, loaded: Map<string, Dataset> = new Map()): Promise<string[]> {
  const wordnet = await loadWordNet();
  const texts = new Set<string>();
  for (const name of plan.textDatasets) {
    const ds = loaded.get(name) ?? await dataset(name);
    for (const it of ds.items) if (it.caption?.trim()) texts.add(it.caption);
    const reps = classRepresentations(ds.classes.filter(Boolean), { templates: plan.templates, wordnet });
    for (const list of [...Object.values(reps.templates), ...Object.values(reps.descriptions)]) for (const t of list) texts.add(t);
  }
  return [...texts];
}

/** A bad flag or selection: nothing was started (exit code 2). */
export class SelectionError extends Error {}

/** The command line, parsed and checked. */
export interface ExtractArgs {
  encoders: string[];
  datasets: string[];
  root?: string;
  /** This process's slice (`--shard`, else the scheduler's environment); undefined: the whole job. */
  shard?: Shard;
  /** Worker processes when there is no shard. */
  jobs: number;
  dryRun: boolean;
}

/** `--jobs`: a positive whole number. */
export function parseJobs(text: string): number {
  if (!/^\s*[1-9]\d*\s*$/.test(text)) throw new SelectionError(`--jobs "${text}" is not a positive whole number of worker processes (e.g. --jobs 4)`);
  return Number(text);
}

/** Parse and check the command line; a bad flag is a {@link SelectionError} naming it. */
export function parseExtractArgs(args: string[], env: Record<string, string | undefined>, cores = navigator.hardwareConcurrency): ExtractArgs {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        encoder: { type: "string", multiple: true },
        dataset: { type: "string", multiple: true },
        shard: { type: "string" },
        jobs: { type: "string" },
        root: { type: "string" },
        "dry-run": { type: "boolean" },
      },
    }));
  } catch (err) {
    throw new SelectionError(`${(err as Error).message} (flags: --encoder, --dataset, --jobs, --shard, --root, --dry-run)`);
  }
  const wrap = <T>(what: string, f: () => T): T => {
    try {
      return f();
    } catch (err) {
      throw new SelectionError(`${what}: ${(err as Error).message}`);
    }
  };
  const shard = values.shard !== undefined ? wrap("--shard", () => parseShard(values.shard!)) : wrap("the scheduler's shard", () => shardFromEnv(env));
  const jobs = values.jobs !== undefined ? parseJobs(values.jobs) : shard ? 1 : Math.max(1, Math.min(4, cores));
  if (shard && jobs > 1) {
    throw new SelectionError(`--jobs ${jobs} with shard ${shard.index}/${shard.count}${values.shard === undefined ? " (from the scheduler's environment)" : ""}: a shard runs in one process; leave --jobs out`);
  }
  for (const [flag, list] of [["--encoder", values.encoder], ["--dataset", values.dataset]] as const) {
    if (list?.some((v) => !v.trim())) throw new SelectionError(`${flag} needs a name`);
  }
  if (values.root !== undefined && !values.root.trim()) throw new SelectionError("--root needs a folder");
  return { encoders: values.encoder ?? [], datasets: values.dataset ?? [], root: values.root, shard, jobs, dryRun: values["dry-run"] ?? false };
}

/** One unit of work: a vision encoder over one dataset's images, or a language encoder over datasets' texts. */
export interface ExtractJob {
  /** The name as given (in messages and output lines). */
  name: string;
  /** The registry name that opens it (an `hf:` text model gets the paper's pooling: `hf:<id>:mean`). */
  encoder: string;
  kind: "image" | "text";
  datasets: string[];
}

/** An encoder name checked against what can run. */
export interface CheckedEncoder {
  name: string;
  encoder: string;
  kind: "image" | "text";
}

/** Every dataset name the registry loads. */
export const DATASET_NAMES: readonly string[] = [...Object.keys(EMBEDDED_DATASETS), ...PAPER_FOLDER_DATASETS, ...PAPER_CAPTION_DATASETS];

/** Edit distance (insertions, deletions, substitutions, swaps of neighbours). Pure. */
export function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/** ` (did you mean "x"?)` for the nearest name within a third of the name's length, else "". Pure. */
export function didYouMean(name: string, known: readonly string[]): string {
  const best = known.map((k) => ({ k, d: editDistance(name.toLowerCase(), k) })).sort((x, y) => x.d - y.d)[0];
  return best && best.k !== name && best.d <= Math.max(1, Math.floor(name.length / 3)) ? ` (did you mean "${best.k}"?)` : "";
}

function dataRootNote(env: Record<string, string | undefined>): string {
  const root = env.SHARELOCK_DATA_DIR;
  const onDisk = [...PAPER_FOLDER_DATASETS, ...PAPER_CAPTION_DATASETS];
  if (!root) return `on disk under SHARELOCK_DATA_DIR (not set): ${onDisk.join(", ")}`;
  return `on disk under SHARELOCK_DATA_DIR=${root}: ${onDisk.map((n) => `${n}${existsSync(join(root, n)) ? " (present)" : ""}`).join(", ")}`;
}

/** Name-level problems: unknown encoders and datasets, and on-disk datasets that are not there. */
export function nameProblems(encoders: string[], datasets: string[], env: Record<string, string | undefined>): string[] {
  const problems: string[] = [];
  const plainNames = ENCODER_NAME_FORMS.filter((f) => !f.includes("<"));
  for (const e of encoders) {
    if (encoderNameKind(e) === null) {
      problems.push(`encoder "${e}" is not one that can run${didYouMean(e, plainNames)}. Valid encoders: ${ENCODER_NAME_FORMS.join(", ")}`);
    }
  }
  for (const d of datasets) {
    if (!DATASET_NAMES.includes(d)) {
      problems.push(`dataset "${d}" is not known${didYouMean(d, DATASET_NAMES)}. Valid datasets: embedded: ${Object.keys(EMBEDDED_DATASETS).join(", ")}; ${dataRootNote(env)}`);
      continue;
    }
    if (d in EMBEDDED_DATASETS) continue;
    const root = env.SHARELOCK_DATA_DIR;
    if (!root) problems.push(`dataset "${d}" is read from $SHARELOCK_DATA_DIR/${d}/, and SHARELOCK_DATA_DIR is not set. ${HOW_TO_GET[d] ?? ""}`.trim());
    else if (!existsSync(join(root, d))) problems.push(`dataset "${d}" is not on disk: ${join(root, d)} does not exist. ${HOW_TO_GET[d] ?? ""} (${dataRootNote(env)})`.trim());
  }
  return problems;
}

/**
 * Check one encoder name: registry names by name; `hf:` models through the model doctor (files, layout,
 * graph, memory), which also says whether `hf:<id>` is a vision or a text model. Returns it or its problem.
 */
export async function checkEncoder(name: string): Promise<CheckedEncoder | string> {
  const kind = encoderNameKind(name);
  if (kind === "image" || kind === "text") {
    if (!name.startsWith("hf:")) return { name, encoder: name, kind };
  }
  const rest = name.slice(3);
  const pooled = rest.match(/^(.*):(last-token|mean|cls)$/);
  const model = pooled ? pooled[1] : rest;
  const r = await inspectModel(model, { run: false });
  if (r.problems.length) {
    return `encoder "${name}" will not run here (model doctor): ${r.problems.map((p) => `${p.reason} (fix: ${p.fix})`).join("; ")}`;
  }
  if (r.kind === "vision") {
    if (pooled) return `encoder "${name}": ${model} is a vision model (${r.family}); a text pooling (":${pooled[2]}") does not apply: name it hf:${model}`;
    return { name, encoder: name, kind: "image" };
  }
  return { name, encoder: pooled ? name : `hf:${model}:${r.pooling}`, kind: "text" };
}

/**
 * The jobs of a selection. No `--encoder`: the plan's encoders (a `--dataset` outside the plan runs with
 * the plan's first vision encoder; the plan's language encoders embed the texts of the selected datasets
 * the plan embeds). An `--encoder` without `--dataset`: the plan's datasets for it (its own, else every
 * image dataset of the plan for a vision encoder, the plan's text datasets for a language encoder). Both:
 * every named encoder over every named dataset. Pure.
 */
export function resolveJobs(plan: ExtractionPlan, encoders: CheckedEncoder[] | null, datasets: string[]): ExtractJob[] {
  const jobs: ExtractJob[] = [];
  const image = (e: { name: string; encoder: string }, ds: string[]) => ds.forEach((d) => jobs.push({ name: e.name, encoder: e.encoder, kind: "image", datasets: [d] }));
  const text = (e: { name: string; encoder: string }, ds: string[]) => ds.length && jobs.push({ name: e.name, encoder: e.encoder, kind: "text", datasets: ds });
  if (!encoders) {
    const unplanned = datasets.filter((d) => !plan.images.some((j) => j.datasets.includes(d)));
    plan.images.forEach((j, i) => {
      const planned = datasets.length ? j.datasets.filter((d) => datasets.includes(d)) : j.datasets;
      image({ name: j.encoder, encoder: j.encoder }, i === 0 ? [...planned, ...unplanned] : planned);
    });
    const texts = datasets.length ? plan.textDatasets.filter((d) => datasets.includes(d)) : plan.textDatasets;
    for (const l of plan.language) text({ name: l, encoder: l }, texts);
    return jobs;
  }
  const allImages = [...new Set(plan.images.flatMap((j) => j.datasets))];
  for (const e of encoders) {
    if (e.kind === "image") image(e, datasets.length ? datasets : plan.images.find((j) => j.encoder === e.encoder)?.datasets ?? allImages);
    else text(e, datasets.length ? datasets : plan.textDatasets);
  }
  return jobs;
}

/** Pair-level problems: a vision encoder needs images that exist, a language encoder needs texts. Pure but for file checks. */
export function pairProblems(jobs: ExtractJob[], loaded: Map<string, Dataset>): string[] {
  const problems: string[] = [];
  for (const job of jobs) {
    for (const d of job.datasets) {
      const ds = loaded.get(d);
      if (!ds) continue;
      if (job.kind === "image") {
        const paths = ds.items.map((it) => it.image_path).filter((p): p is string => !!p);
        const files = [...new Set(paths.map((p) => parseImageRef(p).file))];
        if (!paths.length) problems.push(`encoder "${job.name}" x dataset "${d}": a vision encoder needs images, and "${d}" has none (${ds.items.length} items without an image)`);
        else if (!files.some((f) => existsSync(f))) problems.push(`encoder "${job.name}" x dataset "${d}": none of its ${paths.length} images exists (e.g. ${files[0]})`);
      } else if (!ds.items.some((it) => it.caption?.trim()) && !ds.classes.some(Boolean)) {
        problems.push(`encoder "${job.name}" x dataset "${d}": a language encoder needs captions or class names, and "${d}" has neither`);
      }
    }
  }
  return problems;
}

/** What {@link prepareJobs} found: the jobs and their loaded datasets, or every problem at once. */
export interface Prepared {
  jobs: ExtractJob[];
  loaded: Map<string, Dataset>;
}

/**
 * Check a selection against what can run and load its datasets: names, `hf:` models, on-disk datasets,
 * then every encoder/dataset pair. Throws a {@link SelectionError} listing every problem.
 */
export async function prepareJobs(plan: ExtractionPlan, args: Pick<ExtractArgs, "encoders" | "datasets">, env: Record<string, string | undefined>): Promise<Prepared> {
  const encoders = [...new Set(args.encoders)], datasets = [...new Set(args.datasets)];
  const problems = nameProblems(encoders, datasets, env);
  const checked: CheckedEncoder[] = [];
  for (const e of encoders.filter((e) => encoderNameKind(e) !== null)) {
    const c = await checkEncoder(e);
    if (typeof c === "string") problems.push(c);
    else checked.push(c);
  }
  if (problems.length) throw new SelectionError(problems.join("\n"));
  const jobs = resolveJobs(plan, encoders.length ? checked : null, datasets);
  if (!jobs.length) {
    throw new SelectionError(`the selection (${[...encoders.map((e) => `--encoder ${e}`), ...datasets.map((d) => `--dataset ${d}`)].join(" ")}) matches no work: no encoder of the plan runs on these datasets; name an --encoder`);
  }
  const loaded = new Map<string, Dataset>();
  for (const d of new Set(jobs.flatMap((j) => j.datasets))) {
    try {
      loaded.set(d, await dataset(d));
    } catch (err) {
      problems.push(`dataset "${d}" cannot be loaded: ${(err as Error).message}`);
    }
  }
  problems.push(...pairProblems(jobs, loaded));
  if (problems.length) throw new SelectionError(problems.join("\n"));
  return { jobs, loaded };
}

/** A job's output line (what the command prints per job). */
export function jobLine(label: string, r: ExtractResult, extra = ""): string {
  const repaired = r.repaired.length ? `; ${describeRepairs(r.repaired)}` : "";
  return `${label}: ${r.computed} computed, ${r.cached} cached, ${r.skipped} skipped, ${r.seconds.toFixed(1)} s${extra}${repaired}`;
}

/** A job whose items in this shard all failed did no work: an error with the first reason. */
function requireSomeWork(label: string, r: ExtractResult, skipReason: (key: string) => string | undefined) {
  const mine = r.keys.length - r.otherShards;
  if (mine > 0 && r.computed + r.cached + r.byOthers === 0) {
    const reason = r.keys.map(skipReason).find(Boolean);
    throw new Error(`${label}: every one of the ${mine} items of this shard failed${reason ? ` (first: ${reason})` : ""}`);
  }
}

/** Run jobs for one shard into the stores under `root` (default `<cache>/features`); returns a line per job. */
export async function runJobs(jobs: ExtractJob[], shard: Shard, opts: { root?: string; loaded?: Map<string, Dataset>; templates?: readonly string[] } = {}): Promise<string[]> {
  const loaded = opts.loaded ?? new Map<string, Dataset>();
  const load = async (d: string) => loaded.get(d) ?? loaded.set(d, await dataset(d)).get(d)!;
  if (jobs.some((j) => !j.encoder.startsWith("hf:"))) await selectTfBackend(); // the TF.js models (USE lite, nsfwjs)
  const lines: string[] = [];
  for (const encoder of new Set(jobs.filter((j) => j.kind === "image").map((j) => j.encoder))) {
    const enc = await visionEncoder(encoder);
    try {
      const store = await storeFor(enc, "float32", opts.root);
      for (const job of jobs.filter((j) => j.kind === "image" && j.encoder === encoder)) {
        const name = job.datasets[0], ds = await load(name);
        const items = ds.items.filter((it) => it.image_path).map((it) => ({ id: it.item_id, input: it.image_path! }));
        const label = `${job.name} / ${name}`;
        // 64 images per call: the encoder decodes its next model batch while the current one runs
        const r = await extract(store, enc, items, { shard, onError: "skip", batchSize: 64, label });
        lines.push(jobLine(label, r));
        requireSomeWork(label, r, (k) => store.skipReason(k));
      }
    } finally {
      enc.dispose();
    }
  }
  for (const job of jobs.filter((j) => j.kind === "text")) {
    for (const d of job.datasets) await load(d);
    const texts = await planTexts({ ...EMBEDDED_PLAN, templates: opts.templates ?? EMBEDDED_PLAN.templates, textDatasets: job.datasets }, loaded);
    const enc = await languageEncoder(job.encoder);
    try {
      const store = await storeFor(enc, "float32", opts.root);
      const r = await extract(store, enc, texts.map((t, i) => ({ id: `text-${i}`, input: t })), { shard, batchSize: 64, label: `${job.name} / ${texts.length} texts` });
      lines.push(jobLine(`${job.name} / texts`, r, enc.oovRate && r.computed ? `, out-of-vocabulary ${(100 * enc.oovRate()).toFixed(1)}% of word tokens` : ""));
    } finally {
      enc.dispose();
    }
  }
  return lines;
}

/** Stop this process when its parent is gone (a worker whose parent was killed outright is no orphan). */
function exitWithParent(tag: string) {
  const parent = Deno.ppid;
  const id = setInterval(() => {
    if (Deno.ppid === parent) return;
    console.error(`${tag} the parent process ${parent} is gone; stopping (run the command again to finish what is missing)`);
    Deno.exit(1);
  }, 500);
  Deno.unrefTimer(id);
}

/** Build, once in this process, what workers would otherwise race to build (WordNet, word vectors, converted models). */
async function warmShared(jobs: ExtractJob[]) {
  if (jobs.some((j) => j.kind === "text")) await loadWordNet();
  if (jobs.some((j) => j.encoder === "word2vec-100d")) (await languageEncoder("word2vec-100d")).dispose();
  if (visionEngineFromEnv() !== "onnx") return;
  for (const e of new Set(jobs.filter((j) => j.kind === "image" && j.encoder in NSFWJS_VISION).map((j) => j.encoder))) {
    await convertedVisionModel(e as NsfwjsVisionName); // convert once, before the workers
  }
}

/** Start `count` workers, each its own shard; SIGINT / SIGTERM are passed on to them. Returns the exit code. */
async function runWorkers(count: number, args: ExtractArgs): Promise<number> {
  const extra = [...args.encoders.flatMap((e) => ["--encoder", e]), ...args.datasets.flatMap((d) => ["--dataset", d]), ...(args.root ? ["--root", args.root] : [])];
  const children: Deno.ChildProcess[] = [];
  let stoppedBy: Deno.Signal | null = null;
  const forward = (signal: Deno.Signal) => () => {
    if (!stoppedBy) console.error(`[extract] ${signal}: stopping the ${children.length} workers`);
    stoppedBy ??= signal;
    for (const c of children) {
      try {
        c.kill(signal);
      } catch { /* already ended */ }
    }
  };
  const listeners = (["SIGINT", "SIGTERM"] as const).map((s) => [s, forward(s)] as const);
  for (const [s, f] of listeners) Deno.addSignalListener(s, f);
  let statuses: Deno.CommandStatus[];
  try {
    for (let i = 0; i < count && !stoppedBy; i++) {
      children.push(
        new Deno.Command(Deno.execPath(), {
          args: ["run", "-A", import.meta.filename!, "--shard", `${i}/${count}`, ...extra],
          stdin: "null",
          // the cores are shared out: each worker's onnxruntime sessions get cores / jobs intra-op threads
          env: { SHARELOCK_ORT_THREADS: String(readSetting("ortThreads") ?? Math.max(1, Math.floor(navigator.hardwareConcurrency / count))) },
        }).spawn(),
      );
    }
    statuses = await Promise.all(children.map((c) => c.status));
  } finally {
    for (const [s, f] of listeners) Deno.removeSignalListener(s, f);
  }
  if (stoppedBy) {
    console.error(`[extract] stopped by ${stoppedBy}; every worker has ended; run the command again to finish what is missing`);
    return stoppedBy === "SIGINT" ? 130 : 143;
  }
  const failed = statuses.flatMap((s, i) => (s.success ? [] : [`worker ${i}/${count} (shard ${i}/${count}) ${s.signal ? `was killed by ${s.signal}` : `exited with code ${s.code}`}`]));
  if (failed.length) {
    console.error(`[extract] failed: ${failed.join("; ")}; see its messages above; run the command again to finish what is missing`);
    return 1;
  }
  return 0;
}

/** The command: returns its exit code. */
export async function main(argv: string[]): Promise<number> {
  const env = Deno.env.toObject();
  try {
    checkEnvironment(env);
  } catch (err) {
    if (!(err instanceof EnvError)) throw err;
    console.error(`[extract] nothing was started: ${err.message}`);
    return 2;
  }
  const t0 = performance.now();
  let args: ExtractArgs, prepared: Prepared;
  try {
    args = parseExtractArgs(argv, env);
    prepared = await prepareJobs(EMBEDDED_PLAN, args, env);
  } catch (err) {
    if (!(err instanceof SelectionError)) throw err;
    console.error(`[extract] nothing was started:\n${err.message.split("\n").map((l) => `  ${l}`).join("\n")}`);
    return 2;
  }
  const { jobs, loaded } = prepared;
  const shard = args.shard ?? WHOLE, tag = `[extract ${shard.index}/${shard.count}]`;
  if (args.dryRun) {
    for (const j of jobs) console.log(`[extract] ${j.name}${j.encoder !== j.name ? ` (${j.encoder})` : ""} / ${j.kind === "image" ? j.datasets[0] : `texts of ${j.datasets.join(", ")}`}`);
    console.log(`[extract] ${jobs.length} job${jobs.length === 1 ? "" : "s"}; nothing computed (--dry-run)`);
    return 0;
  }
  if (args.shard || args.jobs === 1) {
    if (args.shard) exitWithParent(tag);
    try {
      for (const line of await runJobs(jobs, shard, { root: args.root, loaded })) console.log(`${tag} ${line}`);
    } catch (err) {
      console.error(`${tag} failed: ${(err as Error).message}; run the command again to finish what is missing`);
      return 1;
    }
  } else {
    try {
      await warmShared(jobs);
    } catch (err) {
      console.error(`[extract] failed before starting the workers: ${(err as Error).message}`);
      return 1;
    }
    const code = await runWorkers(args.jobs, args);
    if (code) return code;
  }
  console.log(`${args.shard ? tag : "[extract]"} done in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
