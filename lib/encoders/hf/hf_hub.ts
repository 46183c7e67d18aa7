/**
 * Where a Hugging Face model's files are: the local mirror (`localModelPath`, `SHARELOCK_MODELS_DIR`,
 * `../shared/models`, `<cache>/models`) or a download from the hub into it (config, tokenizer, the chosen
 * dtype's ONNX file and its external data), the dtype setting, and the layout checks that stop a model
 * before any loading. `hf.ts` opens and runs what this finds.
 *
 * @example
 * ```ts
 * const dir = await resolveModelDir({ model: "onnx-community/dinov2-small", allowRemote: false });
 * console.log(dir, hfDtype({}));
 * ```
 */
import { env } from "@huggingface/transformers";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { projectPaths, REPO_ROOT } from "../../runtime/paths.ts";
import { parseDtype, readSetting } from "../../runtime/env.ts";
import type { DeviceRequest } from "../../runtime/onnx_device.ts";
import { DTYPE_SUFFIX, featureRoles, type ModelDtype, type ModelLayout, modelLayout } from "./hf_layout.ts";
import { readOnnxModel } from "../../onnx/reader.ts";

/** Options shared by both Hugging Face encoders. */
export interface HfOptions {
  /** Hub id (`org/name`) or a folder path. */
  model: string;
  /** Local mirror searched before the hub. */
  localModelPath?: string;
  /** Ask the hub when the model is not local (default: unless HF_HUB_OFFLINE=1). */
  allowRemote?: boolean;
  /** Where onnxruntime runs (default `SHARELOCK_DEVICE`, else `auto`): see `resolveDevice`. */
  device?: DeviceRequest;
  /**
   * Weights variant, found by file name: `fp32` (model.onnx), `fp16` (model_fp16.onnx), `q8`
   * (model_quantized.onnx), `int8`, `uint8`, `q4`, `q4f16`, `bnb4`. Default: env `SHARELOCK_DTYPE`, else fp32.
   */
  dtype?: ModelDtype;
  revision?: string;
  /** Items per forward pass (default 32 texts, the paper's, or 16 images). */
  batchSize?: number;
}

/** The local folder searched for models, by the documented order. */
export function localModelDir(explicit?: string): string {
  if (explicit) return resolve(explicit);
  const fromEnv = readSetting("modelsDir");
  if (fromEnv) return fromEnv;
  const shared = resolve(REPO_ROOT, "..", "shared", "models");
  if (existsSync(shared)) return shared;
  return join(projectPaths().cache, "models");
}

const isPath = (model: string) => model.startsWith("/") || model.startsWith(".");

/** Files fetched from the hub for a model (those that exist are kept; the ONNX file's data follows). */
const HUB_FILES = ["config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "preprocessor_config.json", "genai_config.json"];

async function download(url: string, path: string): Promise<boolean> {
  const res = await fetch(url);
  if (res.status === 404) {
    await res.body?.cancel();
    return false;
  }
  if (!res.ok || !res.body) throw new Error(`${url}: HTTP ${res.status}`);
  await Deno.mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${crypto.randomUUID().slice(0, 8)}.part`;
  try {
    const f = await Deno.open(tmp, { write: true, create: true, truncate: true });
    await res.body.pipeTo(f.writable);
    await Deno.rename(tmp, path);
  } catch (err) {
    await Deno.remove(tmp).catch(() => {});
    throw new Error(`${url}: ${(err as Error).message}`);
  }
  return true;
}

/** Fetch a model's files from the hub into `dir` (config, tokenizer, the dtype's ONNX file and its external data). */
async function fetchFromHub(id: string, dir: string, dtype: ModelDtype, revision: string): Promise<void> {
  const base = `${env.remoteHost ?? "https://huggingface.co/"}${id}/resolve/${revision}/`;
  for (const f of HUB_FILES) if (!existsSync(join(dir, f))) await download(base + f, join(dir, f));
  const layout = await modelLayout(dir);
  if (layout.genai) return;
  const suffix = DTYPE_SUFFIX[dtype];
  for (const role of featureRoles(layout).slice(0, 1)) {
    const rel = `onnx/${role}${suffix}.onnx`;
    if (!existsSync(join(dir, rel)) && !(await download(base + rel, join(dir, rel)))) continue;
    const info = await readOnnxModel(join(dir, rel));
    for (const loc of new Set(info.initializers.filter((t) => t.external).map((t) => t.external!.location))) {
      if (!existsSync(join(dir, "onnx", loc))) await download(base + `onnx/${loc}`, join(dir, "onnx", loc));
    }
  }
}

/**
 * Where a model's folder is: a path as given, else `<local dir>/<id>`, fetched from the hub first when it
 * is not there and the hub may be asked. A model that is nowhere is an error naming where it looked.
 */
export async function resolveModelDir(opts: HfOptions): Promise<string> {
  if (isPath(opts.model)) {
    const dir = resolve(opts.model);
    if (!existsSync(dir)) throw new Error(`model folder ${dir} does not exist`);
    return dir;
  }
  const dir = join(localModelDir(opts.localModelPath), opts.model);
  const remote = opts.allowRemote ?? Deno.env.get("HF_HUB_OFFLINE") !== "1";
  if (!existsSync(join(dir, "config.json")) && remote) {
    try {
      await fetchFromHub(opts.model, dir, hfDtype(opts), opts.revision ?? "main");
    } catch (err) {
      throw new Error(`cannot fetch "${opts.model}" from the Hugging Face hub into ${dir}: ${(err as Error).message}`);
    }
  }
  if (!existsSync(dir)) {
    throw new Error(
      `cannot load "${opts.model}": looked in ${dir}` + (remote ? " and on the Hugging Face hub" : "; the hub was not asked (offline)") +
        `. Place an ONNX export there (config.json, tokenizer files, onnx/model.onnx) or set SHARELOCK_MODELS_DIR.`,
    );
  }
  return dir;
}

/** The dtype setting: the option, else env SHARELOCK_DTYPE, else fp32. */
export function hfDtype(opts: Pick<HfOptions, "dtype">): ModelDtype {
  return opts.dtype !== undefined ? parseDtype(opts.dtype) : readSetting("dtype");
}

/** The layout checks that stop a model before any loading, each with its fix (empty: fine). Pure. */
export function layoutProblems(layout: ModelLayout, needTokenizer: boolean): { reason: string; fix: string }[] {
  const p: { reason: string; fix: string }[] = [];
  if (layout.genai) {
    p.push({
      reason: `${layout.dir} is an onnxruntime-genai layout (genai_config.json), not a transformers.js one`,
      fix: "use the same model's transformers.js export (an onnx-community/<name> repository with onnx/model*.onnx) " +
        "or export it with optimum-cli export onnx --task text-generation-with-past",
    });
  }
  if (!layout.config) p.push({ reason: `${layout.dir}: config.json is missing`, fix: "copy config.json from the model's hub repository" });
  if (needTokenizer && !layout.hasTokenizer) {
    p.push({ reason: `${layout.dir}: tokenizer.json is missing`, fix: "copy tokenizer.json and tokenizer_config.json from the model's hub repository" });
  }
  return p;
}
