/**
 * The rehearsal's model mirror: for every Hugging Face model a paper configuration names (`hf:<id>` or
 * `hf:<id>:<pooling>`), a stand-in folder `<mirror>/<id>` in the layout the hub publishes for its family
 * (DINOv2 vision export; decoder in text-generation-with-past layout with external data and an fp16
 * variant; BERT-style encoder), tiny widths and random weights. `SHARELOCK_MODELS_DIR=<mirror>` then
 * loads them as it would load the real downloads.
 *
 * @example
 * ```ts
 * const ids = paperModelIds();                  // ["onnx-community/dinov2-large", "onnx-community/Qwen2.5-0.5B", ...]
 * await writeModelMirror("/tmp/rehearsal/models", ids);
 * ```
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { CAPTIONS_PAPER, PROBING_NOTEBOOK_PAPER } from "../config.ts";
import { type DecoderSpec, writeTinyDecoder } from "./decoders.ts";
import { type EncoderFamily, writeTinyEncoder } from "./encoders.ts";
import { writeTinyDinov2 } from "./vision.ts";

/** Positions the stand-ins embed: more than the 128 tokens texts are truncated to. */
const MAX_POSITIONS = 256;

/** The hub id in a registry name `hf:<id>` or `hf:<id>:<pooling>`; null for other encoders. */
export function hubId(name: string): string | null {
  if (!name.startsWith("hf:")) return null;
  const parts = name.slice(3).split(":");
  return parts[0] || null;
}

/**
 * Every hub id the paper configurations name: the vision model, the language models of notebooks 01-08,
 * and the vision encoders notebook 07 compares (its list is `extraVision`). Sorted, without repeats.
 */
export function paperModelIds(extraVision: string[] = [PROBING_NOTEBOOK_PAPER.vision]): string[] {
  const names = [
    PROBING_NOTEBOOK_PAPER.vision,
    ...PROBING_NOTEBOOK_PAPER.language,
    CAPTIONS_PAPER.corpus.vision,
    CAPTIONS_PAPER.main,
    ...CAPTIONS_PAPER.language,
    ...extraVision,
  ];
  return [...new Set(names.map(hubId).filter((id): id is string => id !== null))].sort();
}

/** What a stand-in for a hub id is: its family, from the id (DINOv2, a decoder family, an encoder family). */
export type StandInFamily = "dinov2" | DecoderSpec["family"] | EncoderFamily;

/** The family whose layout a hub id is published in, from its name; throws for one this project has no stand-in for. */
export function standInFamily(id: string): StandInFamily {
  const n = id.toLowerCase();
  const rules: [RegExp, StandInFamily][] = [
    [/dinov2/, "dinov2"],
    [/qwen/, "qwen2"],
    [/llama/, "llama"],
    [/gemma/, "gemma2"],
    [/mistral/, "mistral"],
    [/modernbert/, "modernbert"],
    [/roberta/, "roberta"],
    [/(^|\/)(flan-)?t5|sentence-t5/, "t5"],
    [/bert|minilm|mpnet|bge|e5-/, "bert"],
  ];
  const hit = rules.find(([re]) => re.test(n));
  if (!hit) {
    throw new Error(`no rehearsal stand-in for "${id}": its name matches none of dinov2, qwen, llama, gemma, mistral, modernbert, roberta, t5, bert (or minilm, mpnet, bge, e5)`);
  }
  return hit[1];
}

/**
 * Write a stand-in for each hub id under `mirror` (skipping folders that have a config.json); returns
 * the folders. Decoders get `onnx/model.onnx` with its weights in `model.onnx_data` and an fp16
 * `onnx/model_fp16.onnx`; DINOv2 gets `onnx/model.onnx` and `onnx/model_fp16.onnx`.
 */
export async function writeModelMirror(mirror: string, ids: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const id of ids) {
    const family = standInFamily(id);
    const slash = id.lastIndexOf("/");
    const parent = join(mirror, id.slice(0, Math.max(slash, 0))), name = id.slice(slash + 1);
    const root = join(parent, name);
    out.push(root);
    if (existsSync(join(root, "config.json"))) continue;
    if (family === "dinov2") {
      await writeTinyDinov2(parent, 0, name);
      await writeTinyDinov2(parent, 0, name, { fp16: true });
    } else if (family === "llama" || family === "qwen2" || family === "gemma2" || family === "mistral") {
      // fp16 first: the fp32 write's config.json (external data format) is the one kept
      await writeTinyDecoder(parent, family, name, { fp16: true, fullVocab: true, maxPos: MAX_POSITIONS });
      await writeTinyDecoder(parent, family, name, { external: ["model.onnx_data"], fullVocab: true, maxPos: MAX_POSITIONS });
    } else {
      await writeTinyEncoder(parent, family, name, { fullVocab: true, maxPos: MAX_POSITIONS });
    }
  }
  return out;
}
