/**
 * The model doctor: before an hour of extraction, say what a Hugging Face model folder (or hub id) is and
 * whether it runs here: family, encoder or decoder, dimensions, files (dtype variants, external data),
 * graph inputs and outputs, where the hidden state comes from, the pooling the paper would use, the
 * device, the time of one batch, and, when it will not work, each reason with its fix (missing tokenizer,
 * onnxruntime-genai layout, logits-only graph, missing dtype variant, too little memory, ...).
 * `deno task doctor <model>` prints it; notebooks' preflight calls it.
 *
 * @example
 * ```ts
 * const r = await inspectModel("onnx-community/Qwen2.5-0.5B", { run: false });
 * console.log(formatModelReport(r));
 * if (r.problems.length) throw new Error(r.problems.map((p) => `${p.reason} -> ${p.fix}`).join("\n"));
 * ```
 */
import sharp from "sharp";
import { basename, dirname, join } from "node:path";
import { existsSync } from "node:fs";
import { decoderDims, type ModelDtype, type ModelLayout, modelLayout, pickModelFile } from "./hf_layout.ts";
import { hfDtype, hfTextEncoder, hfVisionEncoder, layoutProblems, resolveModelDir } from "./hf.ts";
import { externalDataFiles, type OnnxModelInfo, type OnnxValueInfo, readOnnxModel, weightBytes } from "../../onnx/reader.ts";
import { findHiddenState } from "../../onnx/hidden_state.ts";
import { type DeviceRequest, probeDevices, resolveDevice } from "../../runtime/onnx_device.ts";

/** One reason a model will not run here, and what to do. */
export interface ModelProblem {
  reason: string;
  fix: string;
}

/** What {@link inspectModel} found. */
export interface ModelReport {
  model: string;
  dir: string | null;
  /** `model_type` of config.json (llama, qwen2, gemma2, bert, t5, dinov2, ...). */
  family: string | null;
  kind: ModelLayout["kind"];
  dims: Record<string, number>;
  /** Every ONNX file: role, dtype, size, external data files and their sizes. */
  files: { file: string; role: string; dtype: string; bytes: number; externalData: { file: string; bytes: number }[] }[];
  dtype: ModelDtype;
  /** The file the dtype setting picks. */
  chosen: string | null;
  inputs: string[];
  outputs: string[];
  /** Where features come from: a `last_hidden_state` output, or the LM head's input of an edited copy. */
  hiddenState: string | null;
  /** The pooling the paper uses for this kind of model. */
  pooling: "last-token" | "mean" | "cls";
  weightsBytes: number | null;
  availableMemoryBytes: number;
  device: string | null;
  devices: string[];
  /** Milliseconds for one batch of `batch` items (after loading), when it was run. */
  batchMs: number | null;
  batch: number;
  featureDim: number | null;
  runs: boolean;
  problems: ModelProblem[];
  notes: string[];
}

/** Options of {@link inspectModel}. */
export interface InspectOptions {
  localModelPath?: string;
  allowRemote?: boolean;
  dtype?: ModelDtype;
  device?: DeviceRequest;
  /** Load the model and time one batch (default true; skipped when a problem is already known). */
  run?: boolean;
  /** Items in the timed batch (default 32 texts, the paper's, or 16 images). */
  batch?: number;
  /** Memory the machine has free (default: the system's available memory; for tests). */
  availableMemoryBytes?: number;
}

const vi = (v: OnnxValueInfo) => `${v.name}: ${v.dtype}[${(v.shape ?? ["?"]).map((d) => d ?? "?").join(", ")}]`;
const TEXT_INPUTS = /^(input_ids|attention_mask|token_type_ids|position_ids|past_key_values\.\d+\.(key|value)|use_cache_branch|num_logits_to_keep|logits_to_keep)$/;

/** The pooling the paper uses: last token for decoders, CLS for DINOv2, mean for text encoders. Pure. */
export function paperPooling(kind: ModelLayout["kind"]): "last-token" | "mean" | "cls" {
  return kind === "decoder" ? "last-token" : kind === "vision" ? "cls" : "mean";
}

async function fileBytes(path: string): Promise<number> {
  try {
    return (await Deno.stat(path)).size;
  } catch {
    return -1;
  }
}

/** Inspect a model; never throws for a model problem (they are in `problems`). */
export async function inspectModel(model: string, opts: InspectOptions = {}): Promise<ModelReport> {
  const dtype = hfDtype(opts);
  const r: ModelReport = {
    model, dir: null, family: null, kind: "unknown", dims: {}, files: [], dtype, chosen: null, inputs: [], outputs: [],
    hiddenState: null, pooling: "mean", weightsBytes: null,
    availableMemoryBytes: opts.availableMemoryBytes ?? Deno.systemMemoryInfo().available, device: null, devices: [],
    batchMs: null, batch: 0, featureDim: null, runs: false, problems: [], notes: [],
  };
  const problem = (reason: string, fix: string) => r.problems.push({ reason, fix });
  try {
    r.dir = await resolveModelDir({ model, localModelPath: opts.localModelPath, allowRemote: opts.allowRemote, dtype });
  } catch (err) {
    problem((err as Error).message.split(". Place")[0], "place the export in that folder (config.json, tokenizer files, onnx/model.onnx), set SHARELOCK_MODELS_DIR, or allow the hub (unset HF_HUB_OFFLINE)");
    return r;
  }
  const layout = await modelLayout(r.dir);
  r.family = layout.modelType;
  r.kind = layout.kind;
  r.pooling = paperPooling(layout.kind);
  r.problems.push(...layoutProblems(layout, layout.kind !== "vision"));
  if (layout.genai) return r;
  const c = (layout.config ?? {}) as Record<string, unknown>;
  for (const k of ["hidden_size", "d_model", "num_hidden_layers", "num_layers", "num_attention_heads", "num_key_value_heads", "head_dim", "vocab_size", "num_register_tokens", "patch_size", "image_size"]) {
    if (typeof c[k] === "number") r.dims[k] = c[k] as number;
  }
  for (const f of layout.files) {
    const stem = basename(f.path);
    const data = layout.dataFiles.filter((d) => dirname(d) === dirname(f.path) && basename(d).startsWith(`${stem}_data`) || basename(d) === `${stem}.data`);
    r.files.push({ file: f.path.slice(r.dir.length + 1), role: f.role, dtype: f.dtype, bytes: f.bytes, externalData: await Promise.all(data.map(async (d) => ({ file: basename(d), bytes: await fileBytes(d) }))) });
  }
  if (!layout.files.length) {
    problem(`${r.dir}: no ONNX file (looked in onnx/ and the folder)`, "export the model: optimum-cli export onnx --model <id> --task feature-extraction <dir> (text-generation-with-past for decoders also works here)");
    return r;
  }
  let info: OnnxModelInfo;
  try {
    const file = pickModelFile(layout, dtype);
    r.chosen = file.path.slice(r.dir.length + 1);
    info = await readOnnxModel(file.path);
  } catch (err) {
    const msg = (err as Error).message;
    problem(msg.split("; choose")[0], msg.includes("variants here") ? `set the dtype (option dtype or SHARELOCK_DTYPE) to one of the variants listed` : "re-download or re-export the model file");
    return r;
  }
  r.inputs = info.inputs.map(vi);
  r.outputs = info.outputs.map(vi);
  r.weightsBytes = weightBytes(info);
  for (const loc of externalDataFiles(info)) {
    if (!existsSync(join(dirname(join(r.dir, r.chosen!)), loc))) {
      problem(`${r.chosen} keeps weights in ${loc}, which is not in ${dirname(join(r.dir, r.chosen!))}`, `download ${loc} (and every other external data file the model names) beside ${basename(r.chosen!)}`);
    }
  }
  if (layout.kind === "vision") {
    if (!info.outputs.some((o) => o.name === "last_hidden_state")) {
      problem(`${r.chosen} has no last_hidden_state output (outputs: ${info.outputs.map((o) => o.name).join(", ")})`, "export the backbone for feature extraction: optimum-cli export onnx --task feature-extraction");
    } else r.hiddenState = "last_hidden_state output (CLS = row 0)";
    const other = info.inputs.filter((i) => i.name !== "pixel_values");
    if (other.length) problem(`graph inputs ${other.map((i) => i.name).join(", ")} are not ones a vision encoder can fill`, "export the vision model alone (pixel_values in, last_hidden_state out)");
  } else {
    const found = findHiddenState(info);
    if (found.ok) {
      r.hiddenState = found.edit
        ? `LM-head input ${found.tensor} (the text-generation graph outputs only logits: an edited copy, made once in the cache, outputs it as last_hidden_state and leaves the LM head out)`
        : "last_hidden_state output";
    } else {
      problem(`${r.chosen}: no hidden state: ${found.reason}; logits are never used as features`, "export the model for feature extraction: optimum-cli export onnx --model <id> --task feature-extraction <dir>");
    }
    if (layout.kind === "decoder" && !info.inputs.some((i) => i.name === "position_ids")) {
      r.notes.push("no position_ids input: the graph numbers positions itself, so texts are batched by token length and never padded");
    }
    const odd = info.inputs.filter((i) => !TEXT_INPUTS.test(i.name));
    if (odd.length) problem(`graph inputs ${odd.map((i) => i.name).join(", ")} are not ones a text encoder can fill`, "export with optimum-cli (feature-extraction or text-generation-with-past)");
    if (info.inputs.some((i) => i.name.startsWith("past_key_values."))) {
      try {
        const d = decoderDims(layout.config, r.dir);
        Object.assign(r.dims, { layers: d.layers, heads: d.heads, kvHeads: d.kvHeads, headDim: d.headDim });
        const pastLayers = new Set(info.inputs.map((i) => i.name.match(/^past_key_values\.(\d+)\./)?.[1]).filter(Boolean)).size;
        if (pastLayers !== d.layers) problem(`the graph has past key/values for ${pastLayers} layers, config.json says num_hidden_layers = ${d.layers}`, "use the config.json that came with this export");
        r.notes.push(`text-generation export: position_ids = cumsum(mask) - 1 (left padding), zero-length past key/values [batch, ${d.kvHeads}, 0, ${d.headDim}] x ${d.layers} layers`);
      } catch (err) {
        problem((err as Error).message, "use the config.json that came with this export");
      }
    }
  }
  // memory: the weights once in onnxruntime's arena, plus a margin for activations and the runtime
  const need = (r.weightsBytes ?? 0) * 1.25 + 256 * 2 ** 20;
  if (need > r.availableMemoryBytes) {
    const smaller = r.files.filter((f) => f.role === basename(r.chosen!).replace(/(_[a-z0-9]+)?\.onnx$/, "") && f.bytes + f.externalData.reduce((a, d) => a + d.bytes, 0) < (r.weightsBytes ?? 0));
    problem(
      `too little memory: the ${dtype} weights need about ${(need / 2 ** 30).toFixed(1)} GiB, ${(r.availableMemoryBytes / 2 ** 30).toFixed(1)} GiB is available`,
      smaller.length ? `choose a smaller variant with the dtype setting: ${smaller.map((f) => `${f.dtype} (${(f.bytes / 2 ** 30).toFixed(2)} GiB)`).join(", ")}` : "run on a machine with more memory, or export a quantized variant (q8/q4)",
    );
  }
  try {
    const report = await probeDevices();
    r.devices = report.devices.map((d) => `${d.device}: ${d.usable ? `usable${d.adapter ? ` (${d.adapter}${d.software ? ", software" : ""})` : ""}` : `not usable (${d.reason})`}`);
    r.device = await resolveDevice(opts.device);
    const probe = report.devices.find((d) => d.device === r.device);
    if (probe?.software) r.notes.push(`${r.device} runs on a software adapter (${probe.adapter}): for correctness, not speed`);
    if (r.device !== "cpu") r.notes.push(`GPU memory is not checked here; the weights need about ${((r.weightsBytes ?? 0) / 2 ** 30).toFixed(2)} GiB of it`);
  } catch (err) {
    problem((err as Error).message, "choose another device (option device or SHARELOCK_DEVICE=auto|cpu|webgpu|cuda)");
  }
  if ((opts.run ?? true) && !r.problems.length) await timeOneBatch(r, opts);
  r.runs = !r.problems.length && (opts.run === false || r.batchMs !== null);
  if (opts.run === false && r.runs) r.notes.push("not run (run: false): the structure checks passed");
  return r;
}

const CAPTIONS = ["a photo of a tabby cat on a sofa.", "two people riding bicycles down a wet street.", "a red apple on a wooden table.", "an aerial view of a harbour at dusk."];

async function timeOneBatch(r: ModelReport, opts: InspectOptions) {
  const common = { model: r.dir!, dtype: r.dtype, device: r.device as DeviceRequest, allowRemote: false };
  try {
    if (r.kind === "vision") {
      r.batch = opts.batch ?? 16;
      const png = await sharp({ create: { width: 320, height: 240, channels: 3, background: { r: 120, g: 160, b: 90 } } }).png().toBuffer();
      const enc = await hfVisionEncoder({ ...common, pooling: "cls" });
      const t0 = performance.now();
      const out = await enc.embed(Array(r.batch).fill(new Uint8Array(png)));
      r.batchMs = performance.now() - t0;
      r.featureDim = out[0].length;
      enc.dispose();
    } else {
      r.batch = opts.batch ?? 32;
      const enc = await hfTextEncoder({ ...common, pooling: r.pooling as "last-token" | "mean" | "cls", batchSize: r.batch });
      const t0 = performance.now();
      const out = await enc.embed(Array.from({ length: r.batch }, (_, i) => CAPTIONS[i % CAPTIONS.length]));
      r.batchMs = performance.now() - t0;
      r.featureDim = out[0].length;
      enc.dispose();
    }
  } catch (err) {
    r.problems.push({ reason: `loading or running failed: ${(err as Error).message.split("\n")[0]}`, fix: "see the message; run `deno task doctor` on the folder after fixing it" });
  }
}

const gib = (b: number) => (b >= 2 ** 30 ? `${(b / 2 ** 30).toFixed(2)} GiB` : b >= 2 ** 20 ? `${(b / 2 ** 20).toFixed(1)} MiB` : `${b} B`);

/** The report as text (what `deno task doctor` prints). Pure. */
export function formatModelReport(r: ModelReport): string {
  const L: string[] = [];
  L.push(`model      ${r.model}${r.dir && r.dir !== r.model ? `  (${r.dir})` : ""}`);
  L.push(`family     ${r.family ?? "?"} (${r.kind})`);
  if (Object.keys(r.dims).length) L.push(`dims       ${Object.entries(r.dims).map(([k, v]) => `${k}=${v}`).join(" ")}`);
  if (r.files.length) {
    L.push(`files`);
    for (const f of r.files) {
      const ext = f.externalData.length ? ` + external data ${f.externalData.map((d) => `${d.file} (${gib(d.bytes)})`).join(", ")}` : "";
      L.push(`  ${f.file === r.chosen ? "*" : " "} ${f.file}  [${f.role}, ${f.dtype}] ${gib(f.bytes)}${ext}`);
    }
  }
  L.push(`dtype      ${r.dtype}${r.chosen ? ` -> ${r.chosen}` : ""}${r.weightsBytes !== null ? `, weights ${gib(r.weightsBytes)}` : ""}, memory available ${gib(r.availableMemoryBytes)}`);
  if (r.inputs.length) L.push(`inputs     ${r.inputs.join("; ")}`);
  if (r.outputs.length) L.push(`outputs    ${r.outputs.join("; ")}`);
  if (r.hiddenState) L.push(`features   ${r.hiddenState}`);
  L.push(`pooling    ${r.pooling} (the paper's for a ${r.kind === "decoder" ? "decoder LLM: last real token, left padding" : r.kind === "vision" ? "DINOv2: the CLS token" : "text encoder"})`);
  if (r.devices.length) L.push(`devices    ${r.devices.join("; ")}`);
  if (r.device) L.push(`device     ${r.device}`);
  if (r.batchMs !== null) L.push(`one batch  ${r.batch} ${r.kind === "vision" ? "images" : "texts"} in ${r.batchMs.toFixed(0)} ms (${(r.batch / (r.batchMs / 1000)).toFixed(1)} items/s), feature dim ${r.featureDim}`);
  for (const n of r.notes) L.push(`note       ${n}`);
  L.push(r.runs ? `verdict    RUNS HERE` : `verdict    WILL NOT RUN`);
  for (const p of r.problems) L.push(`  problem  ${p.reason}\n  fix      ${p.fix}`);
  return L.join("\n");
}
