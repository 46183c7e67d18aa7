/**
 * Every `SHARELOCK_*` environment variable the project reads, in one table ({@link ENV_VARS}: name,
 * meaning, allowed values, default, parser), the one parser of each, and {@link validateEnv}, which checks
 * them all at once and names every bad one with its value and the allowed values. Modules that read a
 * variable do it through {@link readSetting}; tasks and notebooks call {@link checkEnvironment} first.
 * Pure, except {@link realFolderChecks} and {@link checkEnvironment} (file-system probes).
 *
 * @example
 * ```ts
 * const s = validateEnv({ SHARELOCK_ORT_THREADS: "4", SHARELOCK_DTYPE: "q8" }, NO_FOLDER_CHECKS);
 * s.ortThreads;   // 4
 * s.dtype;        // "q8"
 * readSetting("device", { get: () => "cuda" });   // "cuda"
 * seedsFromEnv([0, 1, 2, 3, 4], new Map([["SHARELOCK_SEEDS", "2"]]));   // [0, 1]
 * ```
 */
import { existsSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root, found from this file's location (`lib/runtime/env.ts`). */
export const REPO_ROOT: string = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
/** Where variables come from: `Deno.env`, a `Map`, or anything with `get`. */
export type EnvSource = { get(key: string): string | undefined };

/** File-system checks of the path variables; each returns a problem, or null when the path is fine. */
export interface FolderChecks {
  /** A folder the project writes into: writable, or creatable (its nearest existing ancestor is a writable folder). */
  writable(path: string): string | null;
  /** A folder the project reads (or fills): an existing folder, or one that can be created (not under a file). */
  folder(path: string): string | null;
  /** A file or folder that must exist. */
  exists(path: string): string | null;
}

/** Checks that accept every path (for parsing alone, and for tests). */
export const NO_FOLDER_CHECKS: FolderChecks = { writable: () => null, folder: () => null, exists: () => null };

/** The weights variants of a Hugging Face ONNX export (the file-name suffixes are in `encoders/hf/hf_layout.ts`). */
export const MODEL_DTYPES = ["fp32", "fp16", "q8", "int8", "uint8", "q4", "q4f16", "bnb4"] as const;
/** A weights variant. */
export type ModelDtype = typeof MODEL_DTYPES[number];
/** Where onnxruntime should run: a device, or `auto`. */
export type DeviceRequest = "auto" | "cpu" | "webgpu" | "cuda";
/** A TensorFlow.js backend preference. */
export type TfBackendRequest = "auto" | "tensorflow" | "wasm" | "cpu";
/** How many seeds the embedded caption notebooks (03-07) have (`SHARELOCK_SEEDS` picks the first N). */
export const CAPTION_SEED_COUNT = 5;

/** One variable: what it means, what it may be, what it is when unset, and how its text becomes a value. */
export interface EnvVar<T> {
  name: `SHARELOCK_${string}`;
  meaning: string;
  allowed: string;
  default: string;
  /** The value of a set, non-empty variable; throws an error naming the variable, the value and the allowed values. */
  parse(raw: string): T;
  /** The value when unset or empty. */
  unset: T;
  /** A file-system problem with a parsed value, if any. */
  check?(value: T, fs: FolderChecks): string | null;
}

const bad = (name: string, raw: string, problem: string, allowed: string) => new Error(`${name}="${raw}": ${problem}; allowed: ${allowed}`);

function oneOf<T extends string>(name: string, choices: readonly T[], message?: (raw: string) => string): (raw: string) => T {
  return (raw) => {
    const v = raw.trim().toLowerCase();
    if ((choices as readonly string[]).includes(v)) return v as T;
    throw new Error(message ? message(raw) : `${name}="${raw}" is not one of ${choices.join(", ")}`);
  };
}

function integer(name: string, min: number, max: number, allowed: string): (raw: string) => number {
  return (raw) => {
    const n = Number(raw.trim());
    if (!/^\s*[+-]?\d+\s*$/.test(raw) || !Number.isSafeInteger(n)) throw bad(name, raw, "not a whole number", allowed);
    if (n < min || n > max) throw bad(name, raw, `out of range`, allowed);
    return n;
  };
}

const path = (raw: string) => resolve(raw.trim());
const pathVar = (name: `SHARELOCK_${string}`, meaning: string, allowed: string, unset: string, check: (p: string, fs: FolderChecks) => string | null): EnvVar<string | null> => ({
  name, meaning, allowed, default: unset, parse: path, unset: null, check: (p, fs) => (p === null ? null : check(p, fs)),
});

/** The table: every `SHARELOCK_*` variable the project reads (lib, scripts, notebooks, tests). */
export const ENV_VARS = {
  cacheDir: {
    name: "SHARELOCK_CACHE_DIR", meaning: "downloads, extracted packages, converted models, the feature store (safe to delete; everything in it is rebuilt)",
    allowed: "a folder the project can write (it is created when missing)", default: "`.cache/` in the repository",
    parse: path, unset: join(REPO_ROOT, ".cache"), check: (p, fs) => fs.writable(p),
  } as EnvVar<string>,
  outputsDir: {
    name: "SHARELOCK_OUTPUTS_DIR", meaning: "reports, results tables, `summary.json`",
    allowed: "a folder the project can write (it is created when missing)", default: "`outputs/` in the repository",
    parse: path, unset: join(REPO_ROOT, "outputs"), check: (p, fs) => fs.writable(p),
  } as EnvVar<string>,
  dataDir: pathVar("SHARELOCK_DATA_DIR", "where the paper's datasets are: `<dir>/awa2`, `cub`, `aircraft`, `imagenet`, `imagenet-r`, `imagenet-sketch` (one folder per class); `coco/annotations/captions_train2017.json` + `coco/train2017/`; `cc3m/*.tar`, `cc12m/*.tar` (webdataset shards); `winoground/examples.jsonl` + `images/`",
    "an existing folder", "unset: the paper-scale datasets cannot be read", (p, fs) => fs.exists(p) ?? fs.folder(p)),
  modelsDir: pathVar("SHARELOCK_MODELS_DIR", "local Hugging Face model mirror, searched before the hub (downloads are saved there)",
    "a folder (created when a download needs it)", "`../shared/models` beside the repository when it exists, else `<cache>/models`", (p, fs) => fs.folder(p)),
  scale: {
    name: "SHARELOCK_SCALE", meaning: "which configuration the section notebooks run: the embedded default, or the paper's (Hugging Face models, datasets from `SHARELOCK_DATA_DIR`)",
    allowed: "`embedded`, `paper`", default: "`embedded`", parse: oneOf("SHARELOCK_SCALE", ["embedded", "paper"] as const), unset: "embedded",
  } as EnvVar<"embedded" | "paper">,
  seeds: {
    name: "SHARELOCK_SEEDS", meaning: `the embedded caption notebooks (03-07) run only their first N seeds (seed i on split i), still paired by run (the front-end test uses 2)`,
    allowed: `an integer from 2 to ${CAPTION_SEED_COUNT}`, default: `all ${CAPTION_SEED_COUNT}`,
    parse: (raw) => parseSeedCount(raw, CAPTION_SEED_COUNT), unset: null,
  } as EnvVar<number | null>,
  device: {
    name: "SHARELOCK_DEVICE", meaning: "where onnxruntime work runs (`auto`: cuda when usable, else WebGPU on a hardware adapter, else cpu; see docs/gpu.md)",
    allowed: "`auto`, `cpu`, `webgpu`, `cuda` (any case)", default: "`auto`", parse: (raw) => parseDevice(raw), unset: "auto",
  } as EnvVar<DeviceRequest>,
  dtype: {
    name: "SHARELOCK_DTYPE", meaning: "Hugging Face weights variant, found by file name: `fp32` (model.onnx), `fp16` (model_fp16.onnx), `q8` (model_quantized.onnx), ...",
    allowed: MODEL_DTYPES.map((d) => `\`${d}\``).join(", "), default: "`fp32`", parse: (raw) => parseDtype(raw, "SHARELOCK_DTYPE"), unset: "fp32",
  } as EnvVar<ModelDtype>,
  ortThreads: {
    name: "SHARELOCK_ORT_THREADS", meaning: "intra-op threads of every onnxruntime session: encoders, training, evaluation (`deno task extract` gives each worker cores / workers)",
    allowed: "a positive integer", default: "every core", parse: integer("SHARELOCK_ORT_THREADS", 1, 4096, "a positive integer"), unset: null,
  } as EnvVar<number | null>,
  visionEngine: {
    name: "SHARELOCK_VISION_ENGINE", meaning: "engine of `mobilenet-v2` / `inception-v3`: converted models on onnxruntime (on `SHARELOCK_DEVICE`), or the TF.js models as shipped (different store keys)",
    allowed: "`onnx`, `tfjs`", default: "`onnx`", unset: "onnx",
    parse: oneOf("SHARELOCK_VISION_ENGINE", ["onnx", "tfjs"] as const, (raw) => `SHARELOCK_VISION_ENGINE="${raw}": expected "onnx" or "tfjs"`),
  } as EnvVar<"onnx" | "tfjs">,
  tfBackend: {
    name: "SHARELOCK_TF_BACKEND", meaning: "TensorFlow.js backend: `auto` tries tfjs-node-gpu, tfjs-node, wasm, cpu in turn; the others force one",
    allowed: "`auto`, `tensorflow`, `wasm`, `cpu`", default: "`auto`", parse: oneOf("SHARELOCK_TF_BACKEND", ["auto", "tensorflow", "wasm", "cpu"] as const), unset: "auto",
  } as EnvVar<TfBackendRequest>,
  noMemo: {
    name: "SHARELOCK_NO_MEMO", meaning: "`1`: recompute cached experiment results (training runs, evaluations) instead of reading them",
    allowed: "`0`, `1`", default: "`0` (read the cache)", parse: (raw) => oneOf("SHARELOCK_NO_MEMO", ["0", "1"] as const)(raw) === "1", unset: false,
  } as EnvVar<boolean>,
  rehearsal: { name: "SHARELOCK_REHEARSAL", meaning: "`1`: a rehearsal (`deno task rehearse`): paper configurations keep their code path, sizes shrink (`lib/train/rehearsal.ts`)", allowed: "`0`, `1`", default: "`0`",
    parse: (raw) => oneOf("SHARELOCK_REHEARSAL", ["0", "1"] as const)(raw) === "1", unset: false } as EnvVar<boolean>,
  shardIndex: {
    name: "SHARELOCK_SHARD_INDEX", meaning: "this process's slice of `deno task extract` when no scheduler variable (Slurm, Kubernetes) is set",
    allowed: "an integer from 0 to `SHARELOCK_SHARD_COUNT` - 1", default: "unset (the whole job)",
    parse: integer("SHARELOCK_SHARD_INDEX", 0, 1e9, "an integer from 0 to SHARELOCK_SHARD_COUNT - 1"), unset: null,
  } as EnvVar<number | null>,
  shardCount: {
    name: "SHARELOCK_SHARD_COUNT", meaning: "how many slices the extraction is split into (with `SHARELOCK_SHARD_INDEX` or Kubernetes' `JOB_COMPLETION_INDEX`)",
    allowed: "a positive integer", default: "`1`", parse: integer("SHARELOCK_SHARD_COUNT", 1, 1e9, "a positive integer"), unset: null,
  } as EnvVar<number | null>,
  settleMs: {
    name: "SHARELOCK_SETTLE_MS", meaning: "how long a notebook display waits for the Deno kernel to publish the cell's queued output (`0`: no wait; see docs/front-ends.md, \"Late output and Run All\")",
    allowed: "a number of milliseconds, 0 or more", default: "`30`", unset: null,
    parse: (raw) => {
      const n = Number(raw);
      if (raw.trim() === "" || !Number.isFinite(n) || n < 0) throw bad("SHARELOCK_SETTLE_MS", raw, "not a number of milliseconds", "a number, 0 or more");
      return n;
    },
  } as EnvVar<number | null>,
  python: {
    name: "SHARELOCK_PYTHON", meaning: "the python with nbformat, jupyter_client and nbconvert that runs the notebooks headless",
    allowed: "a python executable (a path, or a command on PATH)", default: "`/usr/bin/python3`, else `python3`", unset: null,
    parse: (raw) => raw.trim(), check: (p, fs) => (p !== null && p.includes("/") ? fs.exists(resolve(p)) : null),
  } as EnvVar<string | null>,
  chromium: pathVar("SHARELOCK_CHROMIUM", "the Chromium that the demo screenshot and the front-end test drive", "an existing executable",
    "`/usr/bin/chromium`, else `/usr/bin/chromium-browser` (installed with apt when missing)", (p, fs) => fs.exists(p)),
  swiftshaderIcd: pathVar("SHARELOCK_SWIFTSHADER_ICD", "a SwiftShader `vk_swiftshader_icd.json` to use as the software WebGPU adapter", "an existing file",
    "an installed Chromium's, else the copy `deno task setup --software-gpu` unpacks into the cache", (p, fs) => fs.exists(p)),
  llm: {
    name: "SHARELOCK_LLM", meaning: "a Hugging Face ONNX text-generation model that writes the LLM class descriptions (none ships with the embedded default)",
    allowed: "a hub id `org/name`, or a model folder", default: "unset: no LLM descriptions", unset: null,
    parse: (raw) => {
      const v = raw.trim();
      if (!/^[\w.-]+\/[\w.-]+$/.test(v) && !v.startsWith("/") && !v.startsWith(".")) throw bad("SHARELOCK_LLM", raw, "neither a hub id nor a folder path", "a hub id org/name, or a model folder");
      return v;
    },
    check: (v, fs) => (v !== null && (v.startsWith("/") || v.startsWith(".")) ? fs.exists(resolve(v)) : null),
  } as EnvVar<string | null>,
  frontendNotebook: {
    name: "SHARELOCK_FRONTEND_NOTEBOOK", meaning: "the section notebook `tests/frontend_test.ts` runs in the browser",
    allowed: "a notebook name in `notebooks/` (without `.ipynb`)", default: "`05_compositionality`", unset: "05_compositionality",
    parse: (raw) => raw.trim().replace(/\.ipynb$/, ""),
    check: (v, fs) => fs.exists(join(REPO_ROOT, "notebooks", `${v}.ipynb`)),
  } as EnvVar<string>,
} as const;

/** A key of {@link ENV_VARS}. */
export type SettingKey = keyof typeof ENV_VARS;
/** The typed value of every variable. */
export type Settings = { [K in SettingKey]: typeof ENV_VARS[K] extends EnvVar<infer T> ? T : never };

/** `SHARELOCK_SEEDS`' parser: an integer from 2 (the paired verdicts need two runs a side) to `max`. */
export function parseSeedCount(raw: string, max: number): number {
  const n = Number(raw);
  if (raw.trim() === "" || !Number.isInteger(n) || n < 2 || n > max) {
    throw new Error(`SHARELOCK_SEEDS=${raw}: expected an integer from 2 to ${max} (how many of the first ${max} seeds to run)`);
  }
  return n;
}

/** `defaults`, or their first N when `SHARELOCK_SEEDS=N`: a quicker run of the caption notebooks, still paired by seed. */
export function seedsFromEnv(defaults: number[], env: EnvSource = Deno.env): number[] {
  const raw = env.get("SHARELOCK_SEEDS");
  return raw === undefined || raw.trim() === "" ? defaults : defaults.slice(0, parseSeedCount(raw, defaults.length));
}

/** A device request (`SHARELOCK_DEVICE`, or an option named `field`): trimmed, any case. */
export function parseDevice(raw: string | undefined, field = "SHARELOCK_DEVICE"): DeviceRequest {
  const v = (raw ?? "auto").trim().toLowerCase() || "auto";
  if (["auto", "cpu", "webgpu", "cuda"].includes(v)) return v as DeviceRequest;
  throw new Error(`${field}="${raw}" is not a device: use auto, cpu, webgpu or cuda`);
}

/** A weights variant (`SHARELOCK_DTYPE`, or an option named `field`). */
export function parseDtype(raw: string, field = "dtype"): ModelDtype {
  if ((MODEL_DTYPES as readonly string[]).includes(raw)) return raw as ModelDtype;
  const what = field === "dtype" ? `dtype "${raw}"` : `${field}="${raw}"`;
  throw new Error(`${what} is not a weights variant: use ${MODEL_DTYPES.join(", ")}`);
}

/** One variable's value from `env` (unset or empty: its default); throws naming the variable on a bad value. */
export function readSetting<K extends SettingKey>(key: K, env: EnvSource = Deno.env): Settings[K] {
  const spec = ENV_VARS[key] as EnvVar<Settings[K]>;
  const raw = env.get(spec.name);
  return raw === undefined || raw.trim() === "" ? spec.unset : spec.parse(raw);
}

/** Every bad variable, each with its value and the allowed values. */
export class EnvError extends Error {
  constructor(readonly problems: string[]) {
    super(`${problems.length === 1 ? "an environment variable is" : `${problems.length} environment variables are`} not valid:\n- ${problems.join("\n- ")}\n(every variable, its meaning and allowed values: docs/configuration.md)`);
    this.name = "EnvError";
    this.stack = `${this.name}: ${this.message}`; // a user's setting, not a bug: no stack frames
  }
}

/**
 * Check every variable of the table in `env` (a record such as `Deno.env.toObject()`), with the file-system
 * checks `fs`: the typed settings, or one {@link EnvError} listing every bad variable. Pure given `fs`.
 */
export function validateEnv(env: Record<string, string | undefined>, fs: FolderChecks): Settings {
  const source: EnvSource = { get: (k) => env[k] };
  const problems: string[] = [];
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(ENV_VARS) as SettingKey[]) {
    const spec = ENV_VARS[key] as EnvVar<unknown>;
    try {
      out[key] = readSetting(key, source);
    } catch (err) {
      problems.push((err as Error).message);
      continue;
    }
    const problem = spec.check?.(out[key], fs), raw = env[spec.name];
    if (!problem) continue;
    problems.push(raw === undefined || raw.trim() === ""
      ? `${spec.name} is unset, so ${out[key]} is used: ${problem}; set ${spec.name} to ${spec.allowed}`
      : `${spec.name}="${raw}": ${problem}; allowed: ${spec.allowed}`);
  }
  const s = out as Settings;
  if (typeof s.shardIndex === "number" && "shardCount" in out && s.shardIndex >= (s.shardCount ?? 1)) {
    problems.push(`SHARELOCK_SHARD_INDEX="${env.SHARELOCK_SHARD_INDEX}": not below SHARELOCK_SHARD_COUNT (${s.shardCount ?? "unset: 1"}); allowed: ${ENV_VARS.shardIndex.allowed}`);
  }
  if (problems.length) throw new EnvError(problems);
  return s;
}

function nearestExisting(p: string): string {
  let cur = p;
  while (!existsSync(cur) && dirname(cur) !== cur) cur = dirname(cur);
  return cur;
}

function canWrite(dir: string): boolean {
  try {
    const probe = join(dir, `.sharelock-write-probe-${crypto.randomUUID().slice(0, 8)}`);
    Deno.writeFileSync(probe, new Uint8Array());
    Deno.removeSync(probe);
    return true;
  } catch {
    return false;
  }
}

/** The real checks: a write probe (an empty file, removed at once) in the folder or its nearest existing ancestor. */
export const realFolderChecks: FolderChecks = {
  writable(p) {
    const at = nearestExisting(p);
    if (!statSync(at).isDirectory()) return `${p} cannot be created: ${at} is a file, not a folder`;
    if (!canWrite(at)) return at === p ? `the folder ${p} is not writable` : `${p} cannot be created: ${at} is not writable`;
    return null;
  },
  folder(p) {
    const at = nearestExisting(p);
    return statSync(at).isDirectory() ? null : at === p ? `${p} is a file, not a folder` : `${p} cannot be a folder: ${at} is a file`;
  },
  exists: (p) => (existsSync(p) ? null : `${p} does not exist`),
};

/** {@link validateEnv} on this process's environment with the real file-system checks. */
export function checkEnvironment(env: Record<string, string | undefined> = Deno.env.toObject()): Settings {
  return validateEnv(env, realFolderChecks);
}
